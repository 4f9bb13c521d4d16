package scenarios

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"loadharness"
	"loadharness/scenarios/suite"
)

// benchEngine builds an engine for a two-step scenario without running it.
func benchEngine(tb testing.TB, users int, steps ...suite.Step) *engine {
	tb.Helper()
	if len(steps) == 0 {
		steps = mustBuiltIn(tb, "map")
	}
	sc := &suite.Scenario{Name: "bench", Users: users, Duration: time.Second, Steps: steps}
	e, err := newEngine(sc, RunOptions{BaseURL: "http://127.0.0.1:8080", Sink: &collected{}})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func BenchmarkTargeter(b *testing.B) {
	e := benchEngine(b, 100)
	ph := e.newPhase(phaseMain, time.Hour, nil)
	var t vegeta.Target
	b.ReportAllocs()
	for b.Loop() {
		if err := ph.target(&t); err != nil {
			b.Fatal(err)
		}
		// Hand the user back as the transport would when its request ends.
		_, frag, _ := splitFragment(t.URL)
		id, _ := parseIdentity(frag)
		e.pool.release(e.pool.user(id.user))
	}
}

// cannedTransport answers every request at once, like a target that costs
// nothing, so that only the user transport's own work is measured.
type cannedTransport struct{ header http.Header }

func (c cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	h := make(http.Header, len(c.header)+4)
	for k, v := range c.header {
		h[k] = v
	}
	return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader([]byte("<svg/>"))), Request: req}, nil
}

func BenchmarkTransportRoundTrip(b *testing.B) {
	e := benchEngine(b, 100)
	u := e.pool.users[0]
	u.dataset, u.checksum, u.hasDataset = "ds1", "sum1", true
	canned := cannedTransport{header: http.Header{
		"Content-Type": {"image/svg+xml"}, "X-Dataset-Id": {"ds1"}, "X-Dataset-Checksum": {"sum1"},
		"X-Instance": {"i1"}, "X-Worker": {"2"},
	}}
	tr := &userTransport{e: e, base: canned}
	url := string(identity{user: u.id, step: 0, handoff: 1}.appendFragment([]byte("http://127.0.0.1:8080/map")))
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		<-e.pool.free // the targeter's take
		resp, err := tr.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		if u.res.Session != loadharness.SessionKept {
			b.Fatalf("session %v", u.res.Session)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		e.pool.release(u) // the converter's hand back
	}
}

func BenchmarkConvertResult(b *testing.B) {
	e := benchEngine(b, 100)
	frag := identity{user: 42, step: 0, intended: 5 * time.Second, handoff: 5*time.Second + 1000}
	vr := vegeta.Result{
		Attack: "bench", Seq: 1, Code: 200, Timestamp: e.epoch.Add(5 * time.Second), Latency: 3 * time.Millisecond,
		Method: "GET", URL: string(frag.appendFragment([]byte("http://127.0.0.1:8080/map"))),
	}
	u := e.pool.user(42)
	inflight := loadharness.Result{
		Scenario: "bench", Step: "map", Method: "GET", User: 42, Code: 200, BytesIn: 5120,
		Sent: e.epoch.Add(5*time.Second + 2000), Latency: 3 * time.Millisecond,
		Session: loadharness.SessionKept, Instance: "i1", Worker: "2",
	}
	var out loadharness.Result
	b.ReportAllocs()
	for b.Loop() {
		<-e.pool.free // the targeter's take; convert hands the user back
		u.res = inflight
		if !e.conv.convert(&vr, &out) {
			b.Fatal("not converted")
		}
	}
	if out.User != 42 || out.Session != loadharness.SessionKept || out.BytesIn != 5120 || out.Instance != "i1" {
		b.Fatalf("converted %+v", out)
	}
}

func BenchmarkRawWriter(b *testing.B) {
	rs := sampleResults()
	w := NewRawWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		w.Add(&rs[0])
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// TestThroughputVersusPlainVegeta measures what the virtual users cost: the
// requests a second of a closed model with 100 users and no think time,
// next to a plain Vegeta attacker with 100 workers, on the same trivial
// handler in the same process. It logs both; the figures depend on the
// machine, so it asserts only that both ran.
func TestThroughputVersusPlainVegeta(t *testing.T) {
	if testing.Short() {
		t.Skip("a 10 s measurement")
	}
	const (
		users = 100
		d     = 5 * time.Second
	)
	srv := httptest.NewServer(okHandler)
	defer srv.Close()

	sc := &suite.Scenario{Name: "harness", Users: users, Duration: d, Steps: []suite.Step{{Name: "get", Method: "GET", Path: "/"}}}
	var n int
	out, err := Run(context.Background(), sc, RunOptions{BaseURL: srv.URL, Sink: loadharness.SinkFunc(func(*loadharness.Result) { n++ })})
	if err != nil {
		t.Fatal(err)
	}

	atk := vegeta.NewAttacker(vegeta.Workers(users), vegeta.MaxWorkers(users), vegeta.MaxBody(0))
	tgt := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: srv.URL + "/"})
	start := time.Now()
	plain := 0
	for range atk.Attack(tgt, vegeta.Rate{}, d, "plain") {
		plain++
	}
	plainRPS := float64(plain) / time.Since(start).Seconds()

	t.Logf("closed model, %d users, no think: %.0f req/s (%d requests, generator %.2f cores)", users, out.SentRPS, n, out.GeneratorCores)
	t.Logf("plain vegeta, %d workers, rate 0:   %.0f req/s (%d requests)", users, plainRPS, plain)
	t.Logf("harness / plain: %.2f", out.SentRPS/plainRPS)
	if n == 0 || plain == 0 {
		t.Fatal("no requests")
	}
}

// cannedConn is a connection whose peer answers every request at once with
// the same response, in memory: the benchmarks below then measure the
// harness's own work per request, not the system calls.
type cannedConn struct {
	net.Conn // nil: only the methods below are called
	response []byte
	pending  []byte
}

func (c *cannedConn) Write(p []byte) (int, error) {
	// A request ends with its blank line (the benchmarks send no body).
	if bytes.HasSuffix(p, []byte("\r\n\r\n")) {
		c.pending = append(c.pending, c.response...)
	}
	return len(p), nil
}

func (c *cannedConn) Read(p []byte) (int, error) {
	if len(c.pending) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

func (c *cannedConn) Close() error                     { return nil }
func (c *cannedConn) SetDeadline(time.Time) error      { return nil }
func (c *cannedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *cannedConn) SetWriteDeadline(time.Time) error { return nil }

// cannedMapResponse is what the reference target answers to GET /map.
const cannedMapResponse = "HTTP/1.1 200 OK\r\nContent-Type: image/svg+xml\r\nX-Dataset-Id: ds1\r\nX-Dataset-Checksum: sum1\r\n" +
	"X-Instance: i1\r\nX-Worker: 2\r\nContent-Length: 6\r\n\r\n<svg/>"

// BenchmarkNextRequest is targeting in the closed-model driver: a user's
// next step, its request and its Cookie header.
func BenchmarkNextRequest(b *testing.B) {
	e := benchEngine(b, 100)
	e.direct, e.urls = true, directURLs(&e.plan)
	u := e.pool.users[0]
	target, _ := url.Parse("http://127.0.0.1:8080/")
	u.setCookies(target, []*http.Cookie{{Name: "session", Value: "0123456789abcdef"}})
	header := make(http.Header, 4)
	b.ReportAllocs()
	for b.Loop() {
		si := e.plan.pickStep(u)
		req, _, err := e.newRequest(u, si, header)
		if err != nil || req == nil {
			b.Fatal(err)
		}
		addCookieHeader(header, u.cookieHeader(si, req.URL, time.Now()))
	}
}

// BenchmarkExchange is one request of the closed-model driver end to end
// (request, framing, cookies, checks, result) against an in-memory peer.
func BenchmarkExchange(b *testing.B) {
	e := benchEngine(b, 100)
	e.direct, e.urls = true, directURLs(&e.plan)
	u := e.pool.users[0]
	u.dataset, u.checksum, u.hasDataset = "ds1", "sum1", true
	conn := &cannedConn{response: []byte(cannedMapResponse)}
	u.conn.conn, u.conn.br, u.conn.bw = conn, bufio.NewReader(conn), bufio.NewWriter(conn)
	u.conn.lastUsed = time.Now().Add(time.Hour) // never probed as idle
	header := make(http.Header, 4)
	var res loadharness.Result
	b.ReportAllocs()
	for b.Loop() {
		if err := e.exchange(u, 0, header, &res); err != nil {
			b.Fatal(err)
		}
		if res.Code != 200 || res.Session != loadharness.SessionKept {
			b.Fatalf("result %+v", res)
		}
	}
}
