// Package haproxy puts a real HAProxy in front of a stack's instances, in
// place of `target lb`: it writes HAProxy's configuration and drives a
// running HAProxy through its runtime API (stats socket over TCP), as the
// harness drives the built-in balancer through /lb/backends. The providers
// start the process or the container; this package knows HAProxy.
//
// The configuration gives HAProxy the built-in balancer's semantics
// (target/balancer): strict round robin over the backends that pass their checks,
// no stickiness; GET /readyz every 250ms with a 500ms timeout, out after
// 2 failed checks and back after 1 passed; a connection that fails takes
// the backend out at once (observe layer4); no retry of a failed request
// (retries 0, no redispatch); a removed backend is drained first, for at
// most 30s. One difference stays: when every backend is down, `target lb`
// sends to all of them anyway (fail open) where HAProxy answers 503.
package haproxy

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"loadharness/harness/stack"
)

// Defaults of Config, the built-in balancer's (target/balancer/options.go).
const (
	DefaultHealthPath         = "/readyz"
	DefaultHealthInterval     = 250 * time.Millisecond
	DefaultHealthTimeout      = 500 * time.Millisecond
	DefaultUnhealthyThreshold = 2
	DefaultDrainTimeout       = 30 * time.Second
	// DefaultSlots is how many backends the balancer can hold at once:
	// HAProxy's servers are declared up front, and Add fills a free one.
	DefaultSlots = 64
	// HealthzPath answers 200 from HAProxy itself, as `target lb`'s
	// /lb/healthz does, so the providers wait for either the same way.
	HealthzPath = "/lb/healthz"
	backendName = "targets"
)

// Config is what HAProxy is told at start.
type Config struct {
	// Listen is where the load arrives, such as 127.0.0.1:8080.
	Listen string
	// Admin is where the runtime API listens, such as 127.0.0.1:9999;
	// only the harness may reach it.
	Admin string
	// Backends are the instances' base URLs at start (http://IP:PORT).
	Backends []string
	// Slots bounds the backends held at once; 0 is DefaultSlots.
	Slots int
	// HealthPath, HealthInterval, HealthTimeout and UnhealthyThreshold
	// shape the active checks; zero values take the defaults.
	HealthPath         string
	HealthInterval     time.Duration
	HealthTimeout      time.Duration
	UnhealthyThreshold int
	// RequestTimeout bounds a request at the balancer; 0 is 5 minutes,
	// longer than any request the target allows.
	RequestTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.Slots == 0 {
		c.Slots = DefaultSlots
	}
	if c.HealthPath == "" {
		c.HealthPath = DefaultHealthPath
	}
	if c.HealthInterval == 0 {
		c.HealthInterval = DefaultHealthInterval
	}
	if c.HealthTimeout == 0 {
		c.HealthTimeout = DefaultHealthTimeout
	}
	if c.UnhealthyThreshold == 0 {
		c.UnhealthyThreshold = DefaultUnhealthyThreshold
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 5 * time.Minute
	}
	return c
}

// server is one slot of the backend as the configuration declares it.
type server struct {
	Name, Addr string
	Port       int
	Enabled    bool
}

var configTemplate = template.Must(template.New("haproxy.cfg").Parse(`# Written by loadharness (harness/stack/haproxy): the built-in balancer's
# semantics, see that package's documentation.
global
    # No maxconn: HAProxy sizes it from the descriptors it may open.
    stats socket ipv4@{{.Admin}} level admin
    log stderr format raw local0 notice

defaults
    mode http
    log global
    option dontlognull
    timeout connect 2s
    timeout client {{.RequestTimeout}}
    timeout server {{.RequestTimeout}}
    timeout http-request 30s
    timeout http-keep-alive 60s
    # No retry and no redispatch: a killed instance costs the errors it
    # would cost behind a cloud balancer that does not retry.
    retries 0
    no option redispatch

frontend load
    bind {{.Listen}}
    monitor-uri {{.Healthz}}
    default_backend {{.Backend}}

backend {{.Backend}}
    # Strict turns, as target lb takes them: roundrobin's dynamic weights
    # send a burst to a server that has just come up.
    balance static-rr
    option httpchk GET {{.HealthPath}}
    http-check expect status 200
    timeout check {{.HealthTimeout}}
    default-server inter {{.HealthInterval}} fastinter {{.HealthInterval}} downinter {{.HealthInterval}} fall {{.Fall}} rise 1 observe layer4 error-limit 1 on-error mark-down
{{- range .Servers}}
    server {{.Name}} {{.Addr}}:{{.Port}} check{{if not .Enabled}} disabled{{end}}
{{- end}}
`))

// Write renders the configuration.
func (c Config) Write(w io.Writer) error {
	c = c.withDefaults()
	if c.Listen == "" || c.Admin == "" {
		return errors.New("haproxy config: Listen and Admin are required")
	}
	if len(c.Backends) > c.Slots {
		return fmt.Errorf("haproxy config: %d backends, more than the %d slots", len(c.Backends), c.Slots)
	}
	servers := make([]server, c.Slots)
	for i := range servers {
		// A free slot points at the discard port until Add fills it; it
		// is disabled, so it is never checked nor sent to.
		servers[i] = server{Name: slotName(i), Addr: "127.0.0.1", Port: 9}
	}
	for i, b := range c.Backends {
		host, port, err := hostPort(b)
		if err != nil {
			return fmt.Errorf("haproxy config: %w", err)
		}
		servers[i] = server{Name: slotName(i), Addr: host, Port: port, Enabled: true}
	}
	return configTemplate.Execute(w, map[string]any{
		"Admin": c.Admin, "Listen": c.Listen, "Healthz": HealthzPath, "Backend": backendName,
		"RequestTimeout": ms(c.RequestTimeout), "HealthPath": c.HealthPath, "HealthTimeout": ms(c.HealthTimeout),
		"HealthInterval": ms(c.HealthInterval), "Fall": c.UnhealthyThreshold, "Servers": servers,
	})
}

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) + "ms" }

func slotName(i int) string { return "slot" + strconv.Itoa(i+1) }

// hostPort splits a backend's base URL; HAProxy's runtime API takes an IP
// address, so a host name is refused here rather than there.
func hostPort(backend string) (string, int, error) {
	u, err := url.Parse(backend)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return "", 0, fmt.Errorf("backend %q: want http://IP:PORT", backend)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("backend %q: want http://IP:PORT", backend)
	}
	if net.ParseIP(u.Hostname()) == nil {
		return "", 0, fmt.Errorf("backend %q: HAProxy's runtime API takes an IP address, not a host name", backend)
	}
	return u.Hostname(), port, nil
}

// Binary finds the haproxy executable, or says what to install.
func Binary() (string, error) {
	path, err := exec.LookPath("haproxy")
	if err != nil {
		return "", errors.New("balancer haproxy: no haproxy on PATH (install Debian's haproxy package: apt-get install haproxy)")
	}
	return path, nil
}

// Check has HAProxy itself read the configuration at path (haproxy -c).
func Check(ctx context.Context, bin, path string) error {
	out, err := exec.CommandContext(ctx, bin, "-c", "-q", "-f", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("haproxy -c %s: %v: %s", path, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Runtime drives a running HAProxy through its runtime API at Addr
// (Config.Admin). It is a stack.Balancer.
type Runtime struct {
	Addr string
	// DrainTimeout bounds Remove's wait for in-flight requests; 0 is
	// DefaultDrainTimeout.
	DrainTimeout time.Duration
}

var _ stack.Balancer = Runtime{}

// command sends one command and returns HAProxy's answer.
func (r Runtime) command(ctx context.Context, cmd string) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", r.Addr)
	if err != nil {
		return "", fmt.Errorf("haproxy runtime API: %w", err)
	}
	defer conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	conn.SetDeadline(deadline)
	if _, err := io.WriteString(conn, cmd+"\n"); err != nil {
		return "", fmt.Errorf("haproxy runtime API: %s: %w", cmd, err)
	}
	// Outside interactive mode HAProxy answers and closes.
	b, err := io.ReadAll(io.LimitReader(conn, 4<<20))
	if err != nil {
		return "", fmt.Errorf("haproxy runtime API: %s: %w", cmd, err)
	}
	return string(b), nil
}

// setCommand sends a command whose answer is empty on success.
func (r Runtime) setCommand(ctx context.Context, cmd string) error {
	out, err := r.command(ctx, cmd)
	if err != nil {
		return err
	}
	if msg := strings.TrimSpace(out); msg != "" && !strings.HasPrefix(msg, "IP changed from") && !strings.Contains(msg, "no need to change") {
		return fmt.Errorf("haproxy runtime API: %s: %s", cmd, msg)
	}
	return nil
}

// Slot is one server slot of the backend as HAProxy reports it.
type Slot struct {
	Name string
	// Backend is the slot's base URL, http://IP:PORT.
	Backend string
	// Status is HAProxy's: UP, DOWN, MAINT, DRAIN, NOLB, or a transition
	// such as "UP 1/2".
	Status string
	// Current is the requests in flight on the slot.
	Current int
}

// InUse reports whether the slot holds a backend: a slot in maintenance is
// free.
func (s Slot) InUse() bool { return !strings.HasPrefix(s.Status, "MAINT") }

// Slots reads every slot's state (show stat).
func (r Runtime) Slots(ctx context.Context) ([]Slot, error) {
	out, err := r.command(ctx, "show stat -1 4 -1")
	if err != nil {
		return nil, err
	}
	return parseStat(out)
}

// parseStat reads `show stat` CSV: a header line starting with "# ", then
// one line per proxy or server.
func parseStat(out string) ([]Slot, error) {
	out = strings.TrimPrefix(strings.TrimLeft(out, "\n"), "# ")
	rd := csv.NewReader(bufio.NewReader(strings.NewReader(out)))
	rd.FieldsPerRecord = -1
	rows, err := rd.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("haproxy show stat: %w", err)
	}
	if len(rows) == 0 {
		return nil, errors.New("haproxy show stat: empty answer")
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, need := range []string{"pxname", "svname", "status", "scur", "addr"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("haproxy show stat: no %s column in %q", need, strings.Join(rows[0], ","))
		}
	}
	var slots []Slot
	for _, row := range rows[1:] {
		get := func(name string) string {
			if i := col[name]; i < len(row) {
				return row[i]
			}
			return ""
		}
		if get("pxname") != backendName || get("svname") == "BACKEND" || get("svname") == "FRONTEND" {
			continue
		}
		cur, _ := strconv.Atoi(get("scur"))
		slots = append(slots, Slot{Name: get("svname"), Backend: "http://" + get("addr"), Status: get("status"), Current: cur})
	}
	return slots, nil
}

// Health says, for every backend the balancer holds, whether its checks
// let it take requests.
func (r Runtime) Health(ctx context.Context) (map[string]bool, error) {
	slots, err := r.Slots(ctx)
	if err != nil {
		return nil, err
	}
	healthy := map[string]bool{}
	for _, s := range slots {
		if s.InUse() {
			healthy[s.Backend] = strings.HasPrefix(s.Status, "UP")
		}
	}
	return healthy, nil
}

// Add puts backend in a free slot and lets its checks bring it in, as a
// new instance registers with a cloud balancer.
func (r Runtime) Add(ctx context.Context, backend string) error {
	host, port, err := hostPort(backend)
	if err != nil {
		return err
	}
	slots, err := r.Slots(ctx)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(slots, func(s Slot) bool { return s.InUse() && s.Backend == backend }) {
		return fmt.Errorf("haproxy: %s is already a backend", backend)
	}
	i := slices.IndexFunc(slots, func(s Slot) bool { return !s.InUse() })
	if i < 0 {
		return fmt.Errorf("haproxy: no free slot for %s (all %d hold a backend)", backend, len(slots))
	}
	name := backendName + "/" + slots[i].Name
	if err := r.setCommand(ctx, fmt.Sprintf("set server %s addr %s port %d", name, host, port)); err != nil {
		return err
	}
	// Down until its first check passes, as target lb takes a new backend:
	// left to itself HAProxy sends to a server the moment it leaves
	// maintenance, before it was ever checked, and a health state set
	// during maintenance does not stick. One line runs both commands in
	// one go, so no request falls between them.
	return r.setCommand(ctx, "set server "+name+" state ready; set server "+name+" health down")
}

// Remove drains backend (no new requests; those in flight finish, for at
// most DrainTimeout) and frees its slot.
func (r Runtime) Remove(ctx context.Context, backend string) error {
	slots, err := r.Slots(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(slots, func(s Slot) bool { return s.InUse() && s.Backend == backend })
	if i < 0 {
		return fmt.Errorf("haproxy: %s is not a backend", backend)
	}
	slot := slots[i].Name
	name := backendName + "/" + slot
	if err := r.setCommand(ctx, "set server "+name+" state drain"); err != nil {
		return err
	}
	drain := r.DrainTimeout
	if drain == 0 {
		drain = DefaultDrainTimeout
	}
	deadline := time.Now().Add(drain)
	for time.Now().Before(deadline) {
		now, err := r.Slots(ctx)
		if err != nil {
			return err
		}
		if j := slices.IndexFunc(now, func(s Slot) bool { return s.Name == slot }); j < 0 || now[j].Current == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return r.setCommand(ctx, "set server "+name+" state maint")
}
