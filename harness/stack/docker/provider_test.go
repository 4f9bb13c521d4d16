package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"loadharness/harness/stack"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"loadharness"
)

// requireDockerImages skips the test unless an engine answers and the local
// images exist (the target's, Redis's and extra), saying how to get them.
func requireDockerImages(t *testing.T, extra ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("container stacks are not short tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !Available(ctx) {
		t.Skip("no Docker engine answers (is dockerd running and the socket readable?); the docker provider is not tested")
	}
	for _, img := range append([]string{DefaultTargetImage, LocalRedisImage}, extra...) {
		if !ImagePresent(ctx, img) {
			t.Skipf("image %s is missing: build the local images with `make images` (bash images/build.sh)", img)
		}
	}
}

// balancers runs test once behind each balancer a docker stack can have:
// target lb, and a real HAProxy where its image was built.
func balancers(t *testing.T, test func(t *testing.T, balancer string)) {
	for _, b := range []string{loadharness.BalancerBuiltin, loadharness.BalancerHAProxy} {
		t.Run(b, func(t *testing.T) {
			if b == loadharness.BalancerHAProxy {
				requireDockerImages(t, DefaultHAProxyImage)
			}
			test(t, b)
		})
	}
}

// mustStartDocker starts a container stack from the local images and closes
// it at the end of the test.
func mustStartDocker(t *testing.T, shape loadharness.StackShape) *dockerStack {
	t.Helper()
	d := &Provider{RedisImage: LocalRedisImage, TargetImage: DefaultTargetImage, Dir: t.TempDir(), Logf: t.Logf}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	st, err := d.Start(ctx, shape)
	if err != nil {
		t.Fatalf("start docker stack: %v", err)
	}
	s := st.(*dockerStack)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// labelled counts the containers (running or not) and networks that carry
// the run's label.
func labelled(t *testing.T, runID string) (containers, networks int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli, err := dockerClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	filter := make(client.Filters).Add("label", RunLabel+"="+runID)
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
	if err != nil {
		t.Fatal(err)
	}
	return len(cs.Items), len(ns.Items)
}

// sessionClient is one user: a cookie jar, so one server-side session.
type sessionClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func newSessionClient(t *testing.T, base string) *sessionClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &sessionClient{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 5 * time.Second}}
}

type reply struct {
	status          int
	instance, datum string
	body            []byte
}

func (c *sessionClient) do(req *http.Request) (reply, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return reply{status: resp.StatusCode, instance: resp.Header.Get("X-Instance"),
		datum: resp.Header.Get("X-Dataset-Id"), body: body}, err
}

func (c *sessionClient) mustLogin(user string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/login", strings.NewReader(url.Values{"user": {user}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r, err := c.do(req)
	if err != nil || r.status != http.StatusOK {
		c.t.Fatalf("login: %v %d %s", err, r.status, r.body)
	}
}

func (c *sessionClient) mustUpload(csv string) string {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "wards.csv")
	fw.Write([]byte(csv))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	r, err := c.do(req)
	if err != nil || r.status != http.StatusCreated {
		c.t.Fatalf("upload: %v %d %s", err, r.status, r.body)
	}
	var up struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(r.body, &up); err != nil || up.ID == "" {
		c.t.Fatalf("upload answer %s: %v", r.body, err)
	}
	return up.ID
}

func (c *sessionClient) dataset() (reply, error) {
	req, _ := http.NewRequest(http.MethodGet, c.base+"/dataset", nil)
	return c.do(req)
}

// TestDockerStack drives a 2-instance container stack through each
// balancer: strict round robin, a session that spans instances, survives a
// killed instance and reaches an added one; the other actions work, and the
// balancer ends up holding exactly the live instances; Close leaves nothing
// labelled behind. Behind HAProxy the added instance takes the killed one's
// IP address (the engine hands out the lowest free one), and the killed one
// gets another when it is restarted: the balancer must follow both.
func TestDockerStack(t *testing.T) {
	requireDockerImages(t)
	balancers(t, testDockerStack)
}

func testDockerStack(t *testing.T, balancer string) {
	shape := loadharness.DefaultStackShape
	shape.Instances, shape.Workers, shape.Threads = 2, 2, 4
	shape.Balancer = balancer
	s := mustStartDocker(t, shape)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	if got, want := len(s.MetricsURLs()), 2; got != want {
		t.Fatalf("metrics URLs: got %d, want %d", got, want)
	}
	if info := s.Info(); info.Provider != "docker" || !strings.HasPrefix(info.RedisKind, "redis-server 7") {
		t.Errorf("info: got provider %q, redis %q; want docker and a redis-server version", info.Provider, info.RedisKind)
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf("URL %q: want the balancer on loopback", s.URL())
	}
	c := newSessionClient(t, s.URL())
	c.mustLogin("u1")
	id := c.mustUpload("ward,pop\nA,1\nB,2\n")

	// Round robin: the session's data set must come back from both instances.
	seen := map[string]bool{}
	for i := 0; i < 20 && len(seen) < 2; i++ {
		r, err := c.dataset()
		if err != nil || r.status != http.StatusOK || r.datum != id {
			t.Fatalf("dataset %d: err %v, status %d, data set %q (want %q): %s", i, err, r.status, r.datum, id, r.body)
		}
		seen[r.instance] = true
	}
	if len(seen) < 2 {
		t.Fatalf("20 requests reached only %v: the balancer does not spread", seen)
	}
	spread := map[string]int{}
	for range 10 {
		r, err := c.dataset()
		if err != nil || r.status != http.StatusOK {
			t.Fatalf("dataset: err %v, status %d: %s", err, r.status, r.body)
		}
		spread[r.instance]++
	}
	if spread["instance-1"] != 5 || spread["instance-2"] != 5 {
		t.Errorf("10 requests over two instances: %v, want 5 and 5 (round robin)", spread)
	}
	addrs := map[string]string{} // instance → the address the balancer holds
	for _, in := range s.liveInstances() {
		addrs[in.name] = in.backendURL()
	}
	t.Logf("balancer %s holds %v", balancer, addrs)

	t.Run("kill-instance keeps the session served", func(t *testing.T) {
		ev, err := s.Act(ctx, "kill-instance", 1)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ev.Target, "instance-1"; got != want {
			t.Errorf("event target: got %q, want %q", got, want)
		}
		// The balancer may route a request or two to the dead instance
		// before its health check notices; from then on every request must
		// succeed, on instance-2, with the same data set.
		streak, deadline := 0, ev.At.Add(5*time.Second)
		var recovered time.Duration
		for streak < 10 && time.Now().Before(deadline) {
			r, err := c.dataset()
			switch {
			case err == nil && r.status == http.StatusOK && r.datum == id:
				if streak == 0 {
					recovered = time.Since(ev.At)
				}
				streak++
				if r.instance != "instance-2" {
					t.Errorf("served by %q after instance-1 was killed", r.instance)
				}
			default:
				streak = 0
			}
			time.Sleep(50 * time.Millisecond)
		}
		if streak < 10 {
			t.Fatalf("no 10 successes in a row within 5s of the kill (streak %d)", streak)
		}
		// Behind HAProxy, a request sent to the dead container before the
		// checks (or that request's own failure) take it out waits out the
		// connect timeout, 2s like target lb's dial timeout: a dead
		// container's address goes silent. target lb never waits so: it
		// dials the alias, which the engine's DNS stops resolving at once.
		limit := 2 * time.Second
		if balancer == loadharness.BalancerHAProxy {
			limit = 3 * time.Second
		}
		if recovered > limit {
			t.Errorf("requests failed for %v after the kill, want at most %v", recovered, limit)
		}
		t.Logf("served again %v after the kill", recovered.Round(time.Millisecond))
	})

	t.Run("add-instance serves the session", func(t *testing.T) {
		ev, err := s.Act(ctx, "add-instance", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ev.Target, "instance-3"; got != want {
			t.Fatalf("event target: got %q, want %q", got, want)
		}
		served := false
		for i := 0; i < 20 && !served; i++ {
			r, err := c.dataset()
			if err != nil || r.status != http.StatusOK || r.datum != id {
				t.Fatalf("dataset: err %v, status %d, data set %q: %s", err, r.status, r.datum, r.body)
			}
			served = r.instance == "instance-3"
		}
		if !served {
			t.Fatal("instance-3 served none of 20 requests")
		}
		in3, _ := s.instance(3)
		t.Logf("instance-3 is at %s (instance-1 was at %s)", in3.backendURL(), addrs["instance-1"])
		urls := s.MetricsURLs()
		if got, want := len(urls), 3; got != want {
			t.Fatalf("metrics URLs: got %d, want %d", got, want)
		}
		if err := stack.WaitHTTP(ctx, urls[2]); err != nil {
			t.Errorf("metrics of instance-3: %v", err)
		}
	})

	t.Run("restart-instance brings a killed instance back", func(t *testing.T) {
		before := s.MetricsURLs()[0]
		if _, err := s.Act(ctx, "restart-instance", 1); err != nil {
			t.Fatal(err)
		}
		after := s.MetricsURLs()[0]
		if err := stack.WaitHTTP(ctx, after); err != nil {
			t.Errorf("metrics of restarted instance-1 (%s, was %s): %v", after, before, err)
		}
		served := false
		for i := 0; i < 30 && !served; i++ {
			r, err := c.dataset()
			if err != nil || r.status != http.StatusOK || r.datum != id {
				t.Fatalf("dataset: err %v, status %d, data set %q: %s", err, r.status, r.datum, r.body)
			}
			served = r.instance == "instance-1"
			time.Sleep(20 * time.Millisecond)
		}
		if !served {
			t.Error("the balancer sent none of 30 requests to the restarted instance-1")
		}
		in1, _ := s.instance(1)
		t.Logf("restarted instance-1 is at %s (was %s)", in1.backendURL(), addrs["instance-1"])
	})

	t.Run("remove-instance takes it out of rotation", func(t *testing.T) {
		if _, err := s.Act(ctx, "remove-instance", 3); err != nil {
			t.Fatal(err)
		}
		if got, want := len(s.MetricsURLs()), 2; got != want {
			t.Errorf("metrics URLs: got %d, want %d", got, want)
		}
		for i := 0; i < 10; i++ {
			r, err := c.dataset()
			if err != nil || r.status != http.StatusOK {
				t.Fatalf("dataset: err %v, status %d: %s", err, r.status, r.body)
			}
			if r.instance == "instance-3" {
				t.Fatal("a removed instance still serves")
			}
		}
		// Exactly the live instances, each once and healthy: no address
		// of a killed, moved or removed one is left behind.
		wantHealth := map[string]bool{}
		for _, in := range s.liveInstances() {
			wantHealth[in.backendURL()] = true
		}
		if len(wantHealth) != 2 {
			t.Fatalf("live instances' addresses %v, want 2", wantHealth)
		}
		waitHealth(t, s.balancer, wantHealth)
	})

	t.Run("restart-redis", func(t *testing.T) {
		if _, err := s.Act(ctx, "restart-redis", 0); err != nil {
			t.Fatal(err)
		}
		in2, err := s.instance(2)
		if err != nil {
			t.Fatal(err)
		}
		if err := stack.WaitBalancerHealthy(ctx, s.balancer, in2.backendURL()); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("unknown action", func(t *testing.T) {
		if _, err := s.Act(ctx, "reboot-datacenter", 0); err == nil {
			t.Error("an unknown action succeeded")
		}
	})

	closing := time.Now()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	// Every container stops on its stop signal, none waits out the 5s
	// grace for a SIGKILL (HAProxy as PID 1 ignores SIGTERM).
	if took := time.Since(closing); took >= 5*time.Second {
		t.Errorf("Close took %v: a container waited out its grace", took)
	} else {
		t.Logf("Close took %v", took.Round(time.Millisecond))
	}
	if cs, ns := labelled(t, s.runID); cs != 0 || ns != 0 {
		t.Errorf("after Close: %d containers and %d networks still labelled %s=%s", cs, ns, RunLabel, s.runID)
	}
	for _, name := range []string{"redis", "instance-1", "instance-2", "instance-3", "lb"} {
		if _, err := os.Stat(filepath.Join(s.cfg.Dir, name+".log")); err != nil {
			t.Errorf("log of %s not saved at Close: %v", name, err)
		}
	}
	if balancer == loadharness.BalancerHAProxy {
		// HAProxy logs to stderr: its log names the servers it saw go down.
		if log, _ := os.ReadFile(filepath.Join(s.cfg.Dir, "lb.log")); !bytes.Contains(log, []byte("is DOWN")) {
			t.Errorf("lb.log does not hold HAProxy's output:\n%s", log)
		}
		if _, err := os.Stat(filepath.Join(s.cfg.Dir, "haproxy.cfg")); err != nil {
			t.Errorf("haproxy.cfg not kept beside the logs: %v", err)
		}
	}
	if log, _ := os.ReadFile(filepath.Join(s.cfg.Dir, "redis.log")); !bytes.Contains(log, []byte("Ready to accept connections")) {
		t.Errorf("redis.log does not hold Redis's output:\n%s", log)
	}
	if err := s.Close(ctx); err != nil {
		t.Errorf("second close: %v", err)
	}
}

// waitHealth waits until the balancer holds exactly want, or fails the
// test after 5s.
func waitHealth(t *testing.T, b stack.Balancer, want map[string]bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var last map[string]bool
	var lastErr error
	for ctx.Err() == nil {
		last, lastErr = b.Health(ctx)
		if lastErr == nil && maps.Equal(last, want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("balancer holds %v (%v), want %v within 5s", last, lastErr, want)
}

// TestDockerStartFailureCleansUp starts a stack whose Redis cannot start
// (the target image run as Redis exits on its flags) and checks that the
// failed Start removed what it had created.
func TestDockerStartFailureCleansUp(t *testing.T) {
	requireDockerImages(t)
	d := &Provider{RedisImage: DefaultTargetImage, TargetImage: DefaultTargetImage, RunID: newRunID(),
		Dir: t.TempDir(), StartTimeout: 20 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := d.Start(ctx, loadharness.DefaultStackShape)
	if err == nil {
		st.Close(ctx)
		t.Fatal("a stack with no Redis started")
	}
	t.Logf("start failed as it should: %v", err)
	if cs, ns := labelled(t, d.RunID); cs != 0 || ns != 0 {
		t.Errorf("after a failed start: %d containers and %d networks left", cs, ns)
	}
}

// TestDockerStartTime brings up the default 3 × 4 stack and reports how long
// that takes with containers.
func TestDockerStartTime(t *testing.T) {
	requireDockerImages(t)
	start := time.Now()
	s := mustStartDocker(t, loadharness.DefaultStackShape)
	took := time.Since(start)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	healthy, err := s.balancer.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(healthy), 3; got != want {
		t.Fatalf("balancer backends: got %d, want %d", got, want)
	}
	for u, ok := range healthy {
		if !ok {
			t.Errorf("backend %s is not healthy after Start", u)
		}
	}
	t.Logf("3 instances × 4 workers up in %v", took.Round(10*time.Millisecond))
}

// TestSweepLabel leaves a labelled network behind, as a crashed harness
// would, and checks the sweep removes it. It sweeps its own run id only:
// Sweep (every run) would also remove stacks other tests are using.
func TestSweepLabel(t *testing.T) {
	requireDockerImages(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cli, err := dockerClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	runID := newRunID()
	if _, err := cli.NetworkCreate(ctx, "lh-sweep-"+runID, client.NetworkCreateOptions{
		Labels: map[string]string{RunLabel: runID},
	}); err != nil {
		t.Fatal(err)
	}
	if _, ns := labelled(t, runID); ns != 1 {
		t.Fatalf("setup: %d labelled networks, want 1", ns)
	}
	if err := sweepLabel(ctx, cli, RunLabel+"="+runID); err != nil {
		t.Fatal(err)
	}
	if cs, ns := labelled(t, runID); cs != 0 || ns != 0 {
		t.Errorf("after the sweep: %d containers and %d networks left", cs, ns)
	}
}
