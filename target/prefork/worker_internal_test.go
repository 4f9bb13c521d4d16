package prefork

import (
	"net"
	"strconv"
	"testing"
	"time"
)

func TestParseWorker(t *testing.T) {
	tests := []struct {
		name         string
		id, restarts string
		want         Worker
		wantErr      bool
	}{
		{name: "first start", id: "1", restarts: "0", want: Worker{ID: 1}},
		{name: "restarted", id: "4", restarts: "3", want: Worker{ID: 4, Restarts: 3}},
		{name: "no restart count", id: "2", restarts: "", want: Worker{ID: 2}},
		{name: "empty id", id: "", restarts: "0", wantErr: true},
		{name: "slot zero", id: "0", restarts: "0", wantErr: true},
		{name: "negative restarts", id: "1", restarts: "-1", wantErr: true},
		{name: "not a number", id: "one", restarts: "0", wantErr: true},
		{name: "junk restarts", id: "1", restarts: "2x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWorker(tt.id, tt.restarts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseWorker(%q, %q) error = %v, want error %v", tt.id, tt.restarts, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseWorker(%q, %q) = %+v, want %+v", tt.id, tt.restarts, got, tt.want)
			}
		})
	}
}

func TestCurrent(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		want   Worker
		wantOK bool
	}{
		{name: "worker", env: map[string]string{EnvWorkerID: "3", EnvWorkerRestarts: "2"}, want: Worker{ID: 3, Restarts: 2}, wantOK: true},
		{name: "worker with its own listener", env: map[string]string{EnvWorkerID: "2", EnvWorkerOwnAddr: "127.0.0.1:9101"},
			want: Worker{ID: 2, OwnAddr: "127.0.0.1:9101"}, wantOK: true},
		{name: "malformed", env: map[string]string{EnvWorkerID: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got, ok := Current()
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Current() = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestRestartDelay(t *testing.T) {
	base := 100 * time.Millisecond
	tests := []struct {
		name        string
		last, lived time.Duration
		want        time.Duration
	}{
		{name: "first death", last: 0, lived: time.Second, want: base},
		{name: "quick second death doubles", last: base, lived: time.Second, want: 2 * base},
		{name: "crash loop is capped", last: 4 * time.Second, lived: 10 * time.Millisecond, want: MaxRestartBackoff},
		{name: "long life starts over", last: 4 * time.Second, lived: time.Hour, want: base},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := restartDelay(tt.last, tt.lived, base); got != tt.want {
				t.Errorf("restartDelay(%s, %s) = %s, want %s", tt.last, tt.lived, got, tt.want)
			}
		})
	}
}

func TestStatusString(t *testing.T) {
	s := Status{Slots: []SlotStatus{
		{ID: 1, PID: 10, Running: true, Restarts: 2},
		{ID: 2, PID: 11},
	}}
	got, want := s.String(), "worker 1 pid 10 up restarts 2; worker 2 pid 11 down restarts 0"
	if got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := s.Restarts(), 2; got != want {
		t.Errorf("Restarts() = %d, want %d", got, want)
	}
}

// FuzzParseWorker checks that parsing never panics and that what it accepts
// is a valid worker that survives a round trip through the environment.
func FuzzParseWorker(f *testing.F) {
	f.Add("1", "0")
	f.Add("12", "")
	f.Add("0", "1")
	f.Add("-3", "x")
	f.Add("+7", "007")
	f.Fuzz(func(t *testing.T, id, restarts string) {
		w, err := parseWorker(id, restarts)
		if err != nil {
			return
		}
		if w.ID < 1 || w.Restarts < 0 {
			t.Fatalf("parseWorker(%q, %q) accepted %+v", id, restarts, w)
		}
		env := w.env()
		back, err := parseWorker(env[0][len(EnvWorkerID)+1:], env[1][len(EnvWorkerRestarts)+1:])
		if err != nil || back != w {
			t.Fatalf("round trip of %+v gave %+v, %v", w, back, err)
		}
	})
}

// FuzzOwnAddr checks that what Config accepts as OwnAddr gives every worker
// a valid port of its own, never the shared one, and that checking never
// panics.
func FuzzOwnAddr(f *testing.F) {
	f.Add("127.0.0.1:9100", "127.0.0.1:8080", 4)
	f.Add("127.0.0.1:65534", "127.0.0.1:8080", 3)
	f.Add("[::1]:9100", "[::1]:9101", 2)
	f.Add("host:0", "host:1", 1)
	f.Add(":9100", ":9100", 1)
	f.Fuzz(func(t *testing.T, own, shared string, workers int) {
		if workers < 1 || workers > 64 {
			return
		}
		c := Config{Workers: workers, Addr: shared, OwnAddr: own, Args: []string{}}
		c, err := c.withDefaults()
		if err != nil || own == "" {
			// An empty OwnAddr means no own listeners: ownAddr is never
			// asked for one (the supervisor checks OwnAddr first).
			return
		}
		seen := map[string]bool{}
		for i := range workers {
			a := c.ownAddr(i)
			host, port, err := net.SplitHostPort(a)
			if err != nil {
				t.Fatalf("own address of worker %d = %q: %v", i+1, a, err)
			}
			p, err := strconv.Atoi(port)
			if err != nil || p < 1 || p > 65535 {
				t.Fatalf("own address of worker %d = %q: port out of range", i+1, a)
			}
			if sh, sp, _ := net.SplitHostPort(shared); sh == host && sp == port {
				t.Fatalf("own address of worker %d = %q is the shared %q", i+1, a, shared)
			}
			if seen[a] {
				t.Fatalf("own address %q given twice", a)
			}
			seen[a] = true
		}
	})
}
