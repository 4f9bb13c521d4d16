package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// wrkFigures are what the bench reads from wrk's report.
type wrkFigures struct {
	requests uint64
	elapsed  time.Duration
	// errors counts socket errors and non-2xx/3xx responses.
	errors uint64
	// p50 and p99 are wrk's latency percentiles (with --latency; 0 without).
	p50, p99 time.Duration
}

// parseWrk reads the summary wrk prints, for example
//
//	123456 requests in 10.00s, 15.31MB read
//	Non-2xx or 3xx responses: 12
//	Requests/sec:  12345.67
func parseWrk(out []byte) (wrkFigures, error) {
	var w wrkFigures
	found := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 4 && fields[1] == "requests" && fields[2] == "in":
			n, err := strconv.ParseUint(fields[0], 10, 64)
			if err != nil {
				return wrkFigures{}, fmt.Errorf("parse wrk requests %q: %w", fields[0], err)
			}
			d, err := time.ParseDuration(strings.TrimSuffix(fields[3], ","))
			if err != nil || d <= 0 {
				return wrkFigures{}, fmt.Errorf("parse wrk duration %q", fields[3])
			}
			w.requests, w.elapsed, found = n, d, true
		case len(fields) == 2 && (fields[0] == "50%" || fields[0] == "99%"):
			// "Latency Distribution" rows: "50%    5.12ms"
			d, err := time.ParseDuration(fields[1])
			if err != nil || d < 0 {
				return wrkFigures{}, fmt.Errorf("parse wrk latency %q", line)
			}
			if fields[0] == "50%" {
				w.p50 = d
			} else {
				w.p99 = d
			}
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:"):
			n, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(line, "Non-2xx or 3xx responses:")), 10, 64)
			if err != nil {
				return wrkFigures{}, fmt.Errorf("parse wrk non-2xx: %w", err)
			}
			w.errors += n
		case strings.HasPrefix(line, "Socket errors:"):
			// "Socket errors: connect 0, read 0, write 0, timeout 0"
			for _, part := range strings.Split(strings.TrimPrefix(line, "Socket errors:"), ",") {
				f := strings.Fields(part)
				if len(f) != 2 {
					continue
				}
				if n, err := strconv.ParseUint(f[1], 10, 64); err == nil {
					w.errors += n
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return wrkFigures{}, fmt.Errorf("parse wrk: %w", err)
	}
	if !found {
		return wrkFigures{}, errors.New("parse wrk: no \"N requests in T\" line")
	}
	return w, nil
}
