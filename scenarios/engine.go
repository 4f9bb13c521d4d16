package scenarios

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"loadharness"
	"loadharness/scenarios/suite"
)

// engine is the state of one Run.
type engine struct {
	sc      *suite.Scenario
	opts    RunOptions
	probe   *probe
	plan    plan
	pool    *pool
	epoch   time.Time
	base    *http.Transport
	client  *http.Client
	conns   *connTracker
	uploads *uploadCache
	conv    converter
	// res is reused for every result handed to the sink.
	res     loadharness.Result
	seqBase uint64
	// direct is set for http targets: users send on their own connections,
	// and closed-model phases run on closedDriver; urls are the steps'
	// constant URLs, parsed.
	direct bool
	urls   []*url.URL
	// lag is the open model's generator lag over the main phase, recorded
	// while measureLag is set.
	lag        lagHistogram
	measureLag atomic.Bool
	// versions counts the service versions answers named (with a
	// version_header), across phases.
	versions versionCounts
}

// newEngine checks the scenario and options and builds the client.
func newEngine(sc *suite.Scenario, opts RunOptions) (*engine, error) {
	if err := checkRunnable(sc, opts); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	if opts.Session == (suite.SessionProbe{}) {
		opts.Session = suite.DefaultSessionProbe
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	pr := newProbe(opts.Session)
	pl, err := compile(sc, opts.BaseURL, opts.Session)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", sc.Name, err)
	}
	pool, err := newPool(sc.Users, opts.UserBase, pl.nSetup, sc.Pick == suite.PickWeighted)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", sc.Name, err)
	}
	for _, u := range pool.users {
		pl.assignRow(u)
	}
	e := &engine{sc: sc, opts: opts, probe: pr, plan: pl, pool: pool, epoch: time.Now(), uploads: newUploadCache(uploadCacheBytes)}
	e.conns = newConnTracker(net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second})
	e.base = &http.Transport{
		DialContext: e.conns.dial,
		// Every user may hold a connection: keep them all for reuse.
		MaxIdleConnsPerHost: sc.Users + 16,
		IdleConnTimeout:     90 * time.Second,
	}
	if opts.TLS.CAPEM != nil || opts.TLS.InsecureSkipVerify {
		cfg, err := clientTLS(opts.TLS)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", sc.Name, err)
		}
		e.base.TLSClientConfig = cfg
	}
	ut := &userTransport{e: e, base: e.base}
	clientTimeout := opts.Timeout
	if u, err := url.Parse(opts.BaseURL); err == nil && u.Scheme == "http" {
		// Users' own connections bound each request with a deadline; a
		// client timeout would cost a timer and a goroutine per request.
		ut.dial, ut.timeout, clientTimeout = e.conns.dial, opts.Timeout, 0
		e.direct, e.urls = true, directURLs(&e.plan)
	}
	e.client = &http.Client{
		Transport: ut,
		Timeout:   clientTimeout,
		// A step is one request: a redirect is its answer, not a new request.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	e.conv = converter{e: e}
	return e, nil
}

// checkRunnable rejects what suite.Parse would have (scenarios may be built in
// code) and options the engine cannot work with.
func checkRunnable(sc *suite.Scenario, opts RunOptions) error {
	var errs []error
	if sc == nil {
		return errors.New("no scenario")
	}
	if opts.Sink == nil {
		errs = append(errs, errors.New("no sink"))
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" || u.RawQuery != "" {
		errs = append(errs, fmt.Errorf("base URL %q must be http(s)://host[:port][/path]", opts.BaseURL))
	}
	if sc.Users < 1 || sc.Users > suite.MaxUsers {
		errs = append(errs, fmt.Errorf("users must be 1..%d, not %d", suite.MaxUsers, sc.Users))
	}
	if uint64(opts.UserBase)+uint64(sc.Users) > math.MaxUint32+1 {
		errs = append(errs, fmt.Errorf("user ids %d+%d overflow", opts.UserBase, sc.Users))
	}
	if len(sc.Steps) == 0 {
		errs = append(errs, errors.New("no steps"))
	}
	if d := sc.Data; d != nil && d.Order == suite.OrderUnique && uint64(opts.UserBase)+uint64(sc.Users) > uint64(len(d.Rows)) {
		errs = append(errs, fmt.Errorf("data %s: order unique needs a row for each of users %d..%d, and has %d rows",
			d.File, opts.UserBase, uint64(opts.UserBase)+uint64(sc.Users)-1, len(d.Rows)))
	}
	if d := sc.Data; d != nil && len(d.Rows) == 0 {
		errs = append(errs, fmt.Errorf("data %s has no rows", d.File))
	}
	if sc.Duration <= 0 || sc.Duration > suite.MaxDuration {
		errs = append(errs, fmt.Errorf("duration must be in (0, %s], not %s", fmtDuration(suite.MaxDuration), sc.Duration))
	}
	if sc.Warmup < 0 || sc.Think < 0 {
		errs = append(errs, errors.New("warmup and think must not be negative"))
	}
	if err := checkLoadModel(sc.Load); err != nil {
		errs = append(errs, err)
	}
	if len(sc.Actions) > 0 && opts.Act == nil {
		errs = append(errs, fmt.Errorf("%d timed actions but no RunOptions.Act to carry them out", len(sc.Actions)))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("scenario %q: %w", sc.Name, err)
	}
	return nil
}

// checkLoadModel rejects rates the pacers cannot use.
func checkLoadModel(m suite.LoadModel) error {
	ok := func(r suite.Rate) bool { return r >= suite.MinRate && r <= suite.MaxRate }
	switch m.Kind {
	case suite.Closed:
		return nil
	case suite.Constant:
		if ok(m.Rate) {
			return nil
		}
	case suite.Ramp:
		if ok(m.From) && ok(m.To) {
			return nil
		}
	case suite.Staged:
		good := len(m.Stages) > 0
		for _, s := range m.Stages {
			good = good && ok(s.Rate) && s.Duration > 0
		}
		if good {
			return nil
		}
	}
	return fmt.Errorf("load model %s: rates must be %s..%s and stage durations positive", m, suite.MinRate, suite.MaxRate)
}

// fmtDuration prints whole hours and minutes without the trailing zero units
// of time.Duration.String ("24h" rather than "24h0m0s"), as the suite
// parser's messages do.
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// close releases the engine's idle connections, the users' own included;
// it runs once no request is in flight.
func (e *engine) close() {
	e.base.CloseIdleConnections()
	for _, u := range e.pool.users {
		u.conn.close()
	}
}

// logf logs when RunOptions.Logf is set.
func (e *engine) logf(format string, args ...any) {
	if e.opts.Logf != nil {
		e.opts.Logf(format, args...)
	}
}

// clientTLS is the TLS configuration of a suite's tls: its CA trusted as
// well as the system's, or no verification at all.
func clientTLS(t suite.TLS) (*tls.Config, error) {
	cfg := &tls.Config{InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // the suite asked, and every output warns
	if t.CAPEM != nil {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(t.CAPEM) {
			return nil, fmt.Errorf("tls: %s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
