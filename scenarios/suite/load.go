package suite

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxRate bounds a scenario's request rate, far above what one generator can
// send, so that a typo (150000/s for 150/s) is caught before it runs.
const MaxRate Rate = 1_000_000

// MinRate is the slowest rate a scenario may ask for: one request an hour.
const MinRate Rate = 1.0 / 3600

// Rate is a request rate in requests per second.
type Rate float64

// ParseRate reads a rate written as a number of requests per second ("150")
// or per unit ("150/s", "600/m", "600/min", "36000/h").
func ParseRate(s string) (Rate, error) {
	num, unit, hasUnit := strings.Cut(strings.TrimSpace(s), "/")
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil {
		return 0, fmt.Errorf("rate must look like 150/s, not %q", truncate(s, 40))
	}
	per := time.Second
	if hasUnit {
		switch strings.TrimSpace(unit) {
		case "s", "sec":
			per = time.Second
		case "m", "min":
			per = time.Minute
		case "h":
			per = time.Hour
		default:
			return 0, fmt.Errorf("rate unit must be /s, /m or /h, not /%s", truncate(unit, 20))
		}
	}
	r := Rate(f / per.Seconds())
	if !isFinitePositive(float64(r)) {
		return 0, errors.New("rate must be above zero")
	}
	if r < MinRate {
		return 0, fmt.Errorf("rate must be at least 1/h, not %s", truncate(s, 40))
	}
	if r > MaxRate {
		return 0, fmt.Errorf("rate must be at most %s, not %s", MaxRate, r)
	}
	return r, nil
}

// String returns the rate per second, for example "150/s".
func (r Rate) String() string {
	return strconv.FormatFloat(float64(r), 'f', -1, 64) + "/s"
}

// LoadKind names a load model.
type LoadKind uint8

const (
	// Closed is a fixed number of users, each sending its next request when
	// the previous one has answered and its think time has passed.
	Closed LoadKind = iota
	// Constant sends requests at a fixed rate, whatever the target does.
	Constant
	// Ramp changes the rate linearly from From to To over the scenario.
	Ramp
	// Staged holds a rate for each stage in turn.
	Staged
)

// String names the kind as written in suite files.
func (k LoadKind) String() string {
	switch k {
	case Closed:
		return "closed"
	case Constant:
		return "rate"
	case Ramp:
		return "ramp"
	case Staged:
		return "stages"
	default:
		return fmt.Sprintf("LoadKind(%d)", uint8(k))
	}
}

// Stage is one step of a staged load: a rate held for a duration.
type Stage struct {
	Rate     Rate
	Duration time.Duration
}

// LoadModel says when requests are sent. In every open model (Constant, Ramp,
// Staged) the scenario's users are the pool of sessions that carry the
// requests and the most that may be in flight at once.
type LoadModel struct {
	Kind LoadKind
	// Rate is the rate of a Constant model.
	Rate Rate
	// From and To bound a Ramp, which spans the scenario's duration.
	From, To Rate
	// Stages are the steps of a Staged model; their durations add up to the
	// scenario's duration.
	Stages []Stage
}

// Open reports whether requests are sent on a schedule rather than when users
// are ready.
func (m LoadModel) Open() bool { return m.Kind != Closed }

// String describes the model for people, for example "ramp 50/s→200/s".
func (m LoadModel) String() string {
	switch m.Kind {
	case Constant:
		return m.Rate.String()
	case Ramp:
		return fmt.Sprintf("ramp %s→%s", m.From, m.To)
	case Staged:
		parts := make([]string, len(m.Stages))
		for i, s := range m.Stages {
			parts[i] = fmt.Sprintf("%s for %s", s.Rate, s.Duration)
		}
		return "stages " + strings.Join(parts, ", ")
	default:
		return "closed"
	}
}
