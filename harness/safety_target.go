package harness

import (
	"errors"
	"fmt"
	"loadharness/harness/stack"
	"net"
	"net/url"
	"strings"
)

// ErrNotLoopback is wrapped by CheckTarget's error when a URL leaves the
// machine without the user having asked for it.
var ErrNotLoopback = errors.New("refusing to aim load at a non-loopback address")

// CheckTarget decides whether load may go to rawURL. Loopback hosts
// (127.0.0.0/8, ::1, localhost) are always allowed: they are what the
// process and docker providers bring up. Any other host is refused unless
// explicit (the user named it with --target); then the notice says plainly
// where the load is going, for the log.
func CheckTarget(rawURL string, explicit bool) (notice string, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("check target: %w", err)
	}
	host := u.Hostname()
	if host == "" {
		return "", fmt.Errorf("check target: %q has no host", rawURL)
	}
	if IsLoopbackHost(host) {
		return "", nil
	}
	if !explicit {
		return "", fmt.Errorf("check target: %w: %s (only loopback stacks are started here; name a remote service with --target to load it on purpose)", ErrNotLoopback, rawURL)
	}
	return fmt.Sprintf("NOTICE: load goes to %s, which is not this machine: every request of the suite reaches that service and whoever shares it", host), nil
}

// IsLoopbackHost reports whether host (a name or an address, without port)
// is this machine. Names other than localhost are not resolved: DNS can
// change between the check and the load, so only literal addresses count.
func IsLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkStackTargets checks the stack's URL and its metrics endpoints.
func checkStackTargets(st stack.Stack, explicit bool, logf func(string, ...any)) error {
	for _, u := range append([]string{st.URL()}, st.MetricsURLs()...) {
		notice, err := CheckTarget(u, explicit)
		if err != nil {
			return err
		}
		if notice != "" {
			logf("%s", notice)
		}
	}
	return nil
}
