package aggregate

import (
	"slices"

	"loadharness"
)

// sessionBook applies the session rule of docs/sessions.md to the results of
// one scope, user by user. A user's session is lost when
//   - (a) a checked response named a data set other than the user's
//     (loadharness.SessionLost, whatever its status);
//   - (b) the data set the user captured is held by another user too;
//   - (c) its last checked response proved nothing (SessionUnproven): from
//     some response on, nothing proved the data set again.
//
// Memory grows with users, never with requests: a user's record and the
// one data set it holds now.
type sessionBook struct {
	// dense holds the users whose id is below maxDenseUser, by id: the
	// engine numbers users from 0, and an index costs a fraction of a map
	// lookup on every result. sparse holds the rest.
	dense  []userSession
	sparse map[uint32]*userSession
	// holders maps a data set to the user that captured it last. Two users
	// holding one data set is rule (b).
	holders map[string]uint32
}

// maxDenseUser bounds the dense table: 64k users × 48 bytes at most, and
// only as far as the highest id seen.
const maxDenseUser = 1 << 16

// userSession is one user's standing under the rule.
type userSession struct {
	dataset string // the data set the user holds now ("" before a capture)
	lastAt  int64  // send time of the newest checked response, Unix ns
	seen    bool   // the user has a record (the dense table has gaps)
	checked bool   // a response spoke about the session (kept, lost, unproven)
	proven  bool   // some response proved the user's data set
	mixedUp bool   // rule (a) or (b)
	// unproven says the newest checked response proved nothing (rule c).
	unproven bool
}

func newSessionBook() sessionBook {
	return sessionBook{sparse: make(map[uint32]*userSession), holders: make(map[string]uint32)}
}

// user returns id's record, creating it.
func (b *sessionBook) user(id uint32) *userSession {
	var u *userSession
	if id < maxDenseUser {
		if int(id) >= len(b.dense) {
			b.dense = slices.Grow(b.dense, int(id)+1-len(b.dense))[:id+1]
		}
		u = &b.dense[id]
	} else if u = b.sparse[id]; u == nil {
		u = &userSession{}
		b.sparse[id] = u
	}
	u.seen = true
	return u
}

// each calls fn for every user with a record.
func (b *sessionBook) each(fn func(id uint32, u *userSession)) {
	for i := range b.dense {
		if b.dense[i].seen {
			fn(uint32(i), &b.dense[i])
		}
	}
	for id, u := range b.sparse {
		fn(id, u)
	}
}

// add folds in one result sent at sent (Unix ns).
func (b *sessionBook) add(r *loadharness.Result, sent int64) {
	if r.Dataset == "" && r.Session == loadharness.SessionUnchecked {
		return
	}
	u := b.user(r.User)
	if r.Dataset != "" && r.Dataset != u.dataset {
		// A user sending the data set it holds changes nothing: had another
		// user held it too, both were marked when the second captured it.
		b.hold(r.User, u, r.Dataset)
	}
	switch r.Session {
	case loadharness.SessionKept:
		u.checked, u.proven = true, true
		if sent >= u.lastAt {
			u.lastAt, u.unproven = sent, false
		}
	case loadharness.SessionLost:
		u.checked, u.mixedUp = true, true
		if sent >= u.lastAt {
			u.lastAt, u.unproven = sent, false
		}
	case loadharness.SessionUnproven:
		u.checked = true
		if sent >= u.lastAt {
			u.lastAt, u.unproven = sent, true
		}
	}
}

// hold records that user id (record u) now holds dataset, marking both users
// mixed up when another user holds it already.
func (b *sessionBook) hold(id uint32, u *userSession, dataset string) {
	if u.dataset != "" && u.dataset != dataset {
		if holder, ok := b.holders[u.dataset]; ok && holder == id {
			delete(b.holders, u.dataset)
		}
	}
	u.dataset = dataset
	if holder, ok := b.holders[dataset]; ok && holder != id {
		u.mixedUp = true
		b.user(holder).mixedUp = true
		return
	}
	b.holders[dataset] = id
}

// merge folds in another scope's book (a shard's, a run's of several files).
func (b *sessionBook) merge(from *sessionBook) {
	from.each(func(id uint32, f *userSession) {
		u := b.user(id)
		u.checked = u.checked || f.checked
		u.proven = u.proven || f.proven
		u.mixedUp = u.mixedUp || f.mixedUp
		if f.lastAt >= u.lastAt {
			u.lastAt, u.unproven = f.lastAt, f.unproven
		}
		if u.dataset == "" {
			u.dataset = f.dataset
		}
	})
	for dataset, id := range from.holders {
		if holder, ok := b.holders[dataset]; ok && holder != id {
			b.user(id).mixedUp = true
			b.user(holder).mixedUp = true
			continue
		}
		b.holders[dataset] = id
	}
}

// sessionCounts are a book's users by standing.
type sessionCounts struct {
	// checked users had a response that spoke about their session.
	checked int
	// lost users broke the rule; verified users were proven and not lost;
	// unverified users captured a data set that nothing proved or disproved.
	lost, verified, unverified int
}

// counts counts the users by standing.
func (b *sessionBook) counts() sessionCounts {
	var c sessionCounts
	b.each(func(_ uint32, u *userSession) {
		lost := u.mixedUp || u.unproven
		switch {
		case lost:
			c.lost++
		case u.proven:
			c.verified++
		default:
			c.unverified++
		}
		if u.checked {
			c.checked++
		}
	})
	return c
}
