package docker

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"loadharness/harness/stack"
)

// composeFile is the repository's docker-compose.yml.
const composeFile = "../../../docker-compose.yml"

// composeCommand is docker-compose, or `docker compose`, whichever answers.
func composeCommand() []string {
	if exec.Command("docker-compose", "version").Run() == nil {
		return []string{"docker-compose"}
	}
	if exec.Command("docker", "compose", "version").Run() == nil {
		return []string{"docker", "compose"}
	}
	return nil
}

// TestComposeStackStartsAsShipped: after `make images`, one command starts
// docker-compose.yml's stack without pulling anything, its balancer answers
// on loopback and routes to an instance, and down removes it all.
func TestComposeStackStartsAsShipped(t *testing.T) {
	if testing.Short() {
		t.Skip("containers: skipped in -short mode")
	}
	compose := composeCommand()
	if compose == nil || !Available(context.Background()) {
		t.Skip("no docker-compose or no Docker engine: nothing to test here")
	}
	if !ImagePresent(context.Background(), DefaultTargetImage) || !ImagePresent(context.Background(), LocalRedisImage) {
		t.Skip("the images are not built (make images): nothing to test here")
	}
	port, err := stack.FreeLoopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	project := "lhcompose" + strconv.Itoa(os.Getpid())
	run := func(timeout time.Duration, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		full := append(append(compose[1:], "-f", composeFile, "-p", project), args...)
		cmd := exec.CommandContext(ctx, compose[0], full...)
		cmd.Env = append(os.Environ(), "LB_PORT="+strconv.Itoa(port))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(time.Minute, "config", "-q"); err != nil {
		t.Fatalf("compose config: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := run(2*time.Minute, "down", "-v", "--remove-orphans", "-t", "2"); err != nil {
			t.Errorf("compose down: %v\n%s", err, out)
		}
	})
	if out, err := run(3*time.Minute, "up", "-d"); err != nil {
		t.Fatalf("compose up: %v\n%s", err, out)
	} else if strings.Contains(strings.ToLower(out), "pulling") {
		t.Errorf("compose up pulled an image:\n%s", out)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", port)
	var last string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		resp, err := http.Get(url)
		if err != nil {
			last = err.Error()
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		last = fmt.Sprintf("%s %q", resp.Status, body)
		if resp.StatusCode == http.StatusOK && resp.Header.Get("X-Instance") != "" {
			return
		}
	}
	t.Fatalf("the balancer on 127.0.0.1:%d never routed to an instance: last answer %s", port, last)
}
