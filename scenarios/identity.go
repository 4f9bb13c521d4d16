package scenarios

import (
	"strconv"
	"strings"
	"time"
)

// identityPrefix starts the URL fragment that carries a request's identity.
const identityPrefix = "lt."

// identity is what the targeter knows about a request and the rest of the
// engine needs: whose it is, which step, when it was meant to go and when it
// was handed to Vegeta. It travels in the URL fragment, because Vegeta copies
// the URL into every Result, even when the request failed before any
// response (the case that matters most in a failover test), while response
// headers are lost then. A fragment is never sent on the wire.
type identity struct {
	user uint32
	step int
	// intended and handoff are offsets from the engine's epoch; intended is 0
	// in a closed model (the request is due when the user is ready).
	intended, handoff time.Duration
}

// appendFragment appends "#lt.USER.STEP.INTENDED.HANDOFF" to dst.
func (id identity) appendFragment(dst []byte) []byte {
	dst = append(dst, '#')
	dst = append(dst, identityPrefix...)
	dst = strconv.AppendUint(dst, uint64(id.user), 10)
	dst = append(dst, '.')
	dst = strconv.AppendUint(dst, uint64(id.step), 10)
	dst = append(dst, '.')
	dst = strconv.AppendUint(dst, uint64(max(id.intended, 0)), 10)
	dst = append(dst, '.')
	dst = strconv.AppendUint(dst, uint64(max(id.handoff, 0)), 10)
	return dst
}

// parseIdentity reads a fragment written by appendFragment (without '#').
func parseIdentity(frag string) (identity, bool) {
	rest, ok := strings.CutPrefix(frag, identityPrefix)
	if !ok {
		return identity{}, false
	}
	var nums [4]uint64
	for i := range nums {
		end := strings.IndexByte(rest, '.')
		if i == len(nums)-1 {
			end = len(rest)
		}
		if end <= 0 {
			return identity{}, false
		}
		n, err := strconv.ParseUint(rest[:end], 10, 63)
		if err != nil {
			return identity{}, false
		}
		nums[i] = n
		if end < len(rest) {
			rest = rest[end+1:]
		} else {
			rest = ""
		}
	}
	if nums[0] > 1<<32-1 || nums[1] > 1<<31 {
		return identity{}, false
	}
	return identity{user: uint32(nums[0]), step: int(nums[1]), intended: time.Duration(nums[2]), handoff: time.Duration(nums[3])}, true
}

// splitFragment cuts a result's URL at its identity fragment.
func splitFragment(rawURL string) (base, frag string, ok bool) {
	i := strings.LastIndexByte(rawURL, '#')
	if i < 0 || !strings.HasPrefix(rawURL[i+1:], identityPrefix) {
		return rawURL, "", false
	}
	return rawURL[:i], rawURL[i+1:], true
}
