package balancer

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ParseBackendURL parses a backend address as a command line or the admin
// form gives it: "http://host:port", "https://host:port/prefix", or a bare
// "host:port", which means http. Query, fragment and user info are refused:
// a backend is a place, not a request.
func ParseBackendURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("parse backend url: %w", err)
	}
	if err := checkBackendURL(u); err != nil {
		return nil, fmt.Errorf("parse backend url: %w", err)
	}
	return canonical(u), nil
}

// checkBackendURL refuses what the balancer could not proxy to.
func checkBackendURL(u *url.URL) error {
	switch {
	case u == nil:
		return errors.New("no url")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q: scheme must be http or https", u.Redacted())
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%q: no host", u.Redacted())
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "":
		return fmt.Errorf("%q: only scheme, host and path are allowed", u.Redacted())
	}
	return nil
}

// canonical keeps the parts of u that name a backend, without a trailing
// slash, so "http://a:1/" and "http://a:1" are the same backend.
func canonical(u *url.URL) *url.URL {
	return &url.URL{
		Scheme: u.Scheme,
		Host:   strings.ToLower(u.Host),
		Path:   strings.TrimRight(u.Path, "/"),
	}
}
