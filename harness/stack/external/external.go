package external

import (
	"context"
	"errors"
	"fmt"
	"loadharness/harness/stack"
	"net/url"
	"strings"

	"loadharness"
)

// Provider is the provider for a service the user runs: nothing is brought
// up or torn down, and timed actions are refused.
type Provider struct {
	// URL is the base URL of the service, for example https://staging.example.
	URL string
	// MetricsURL is an optional Prometheus endpoint of the service to scrape.
	MetricsURL string
}

var _ stack.Provider = Provider{}

// CheckURL checks a service's base URL (or its metrics URL) before
// anything starts: http or https, a host, no fragment.
func CheckURL(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return fmt.Errorf("%s %q: want an http:// or https:// URL with a host", what, raw)
	}
	return nil
}

// ErrNoPrometheus is returned by Start for a shape that asks for a
// Prometheus: an external service has its own, which the harness reads
// through --prometheus-url rather than bringing one up.
var ErrNoPrometheus = errors.New("the external provider cannot bring up a Prometheus (stack: {prometheus: true}): point --prometheus-url at the one that scrapes your service, or use the process or docker provider")

// Start checks the URL and returns a stack that only points at it.
func (e Provider) Start(ctx context.Context, shape loadharness.StackShape) (stack.Stack, error) {
	if shape.Prometheus {
		return nil, ErrNoPrometheus
	}
	if err := CheckURL("external target", e.URL); err != nil {
		return nil, err
	}
	return &externalStack{url: strings.TrimRight(e.URL, "/"), metrics: e.MetricsURL}, nil
}

type externalStack struct {
	url     string
	metrics string
}

func (s *externalStack) URL() string { return s.url }

func (s *externalStack) Info() stack.Info {
	return stack.Info{Provider: "external", RedisKind: "unknown (external service)"}
}

func (s *externalStack) MetricsURLs() []string {
	if s.metrics == "" {
		return nil
	}
	return []string{s.metrics}
}

func (s *externalStack) Act(ctx context.Context, kind loadharness.ActionKind, instance int) (loadharness.Event, error) {
	return loadharness.Event{}, fmt.Errorf("%s on an external service: %w", kind, stack.ErrUnsupportedAction)
}

func (s *externalStack) Close(ctx context.Context) error { return nil }
