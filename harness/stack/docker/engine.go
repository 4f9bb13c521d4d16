package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// prepareOnce makes the process's testcontainers settings right before the
// library reads them: it reads its configuration once, at its first call.
var prepareOnce sync.Once

// prepareTestcontainers sets, when the user has not:
//   - TESTCONTAINERS_RYUK_DISABLED=true (exactly "true"): the reaper runs
//     from an image that cannot be pulled without a registry; the stack
//     removes its own containers instead (Close, Sweep);
//   - TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1: mapped ports are published
//     on loopback, so that is where the harness must dial them.
//
// It also silences the library's default logger (a banner and a line per
// container on stderr); the provider reports progress through Logf.
func prepareTestcontainers() {
	prepareOnce.Do(func() {
		setenvIfUnset("TESTCONTAINERS_RYUK_DISABLED", "true")
		setenvIfUnset("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
		tclog.SetDefault(tcLogger{})
	})
}

func setenvIfUnset(key, value string) {
	if _, ok := os.LookupEnv(key); !ok {
		os.Setenv(key, value)
	}
}

// tcLogger discards testcontainers' chatter.
type tcLogger struct{}

func (tcLogger) Printf(string, ...any) {}

// dockerClient connects to the engine testcontainers would use (DOCKER_HOST,
// the testcontainers properties, or the default socket).
func dockerClient(ctx context.Context) (cli *testcontainers.DockerClient, err error) {
	prepareTestcontainers()
	// Some of the library's discovery paths panic when no engine is found.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("docker client: %v", r)
		}
	}()
	cli, err = testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	return cli, nil
}

// dockerProbe caches the answer of Available for the process.
var dockerProbe struct {
	once sync.Once
	ok   bool
}

// dockerProbeTimeout bounds the one probe for an engine.
const dockerProbeTimeout = 5 * time.Second

// Available says whether a Docker engine answers. It probes once per
// process, bounded by a few seconds, and caches the answer (the library
// caches what it learns about the engine anyway).
func Available(ctx context.Context) bool {
	dockerProbe.once.Do(func() {
		ctx, cancel := context.WithTimeout(ctx, dockerProbeTimeout)
		defer cancel()
		answer := make(chan bool, 1)
		go func() {
			defer func() {
				if recover() != nil {
					answer <- false
				}
			}()
			cli, err := dockerClient(ctx)
			if err != nil {
				answer <- false
				return
			}
			defer cli.Close()
			_, err = cli.Ping(ctx, client.PingOptions{})
			answer <- err == nil
		}()
		select {
		case ok := <-answer:
			dockerProbe.ok = ok
		case <-ctx.Done():
		}
	})
	return dockerProbe.ok
}

// ImagePresent says whether the engine holds image tag locally, so that
// starting it needs no registry. It is false when no engine answers.
func ImagePresent(ctx context.Context, tag string) bool {
	if !Available(ctx) {
		return false
	}
	cli, err := dockerClient(ctx)
	if err != nil {
		return false
	}
	defer cli.Close()
	return imagePresent(ctx, cli, tag)
}

func imagePresent(ctx context.Context, cli *testcontainers.DockerClient, tag string) bool {
	_, err := cli.ImageInspect(ctx, tag)
	return err == nil
}

// Sweep removes every container and network labelled RunLabel, from
// any run: what a harness killed before its Close leaves behind.
func Sweep(ctx context.Context) error {
	cli, err := dockerClient(ctx)
	if err != nil {
		return fmt.Errorf("sweep docker: %w", err)
	}
	defer cli.Close()
	if err := sweepLabel(ctx, cli, RunLabel); err != nil {
		return fmt.Errorf("sweep docker: %w", err)
	}
	return nil
}

// sweepLabel force-removes the containers, then the networks, matching a
// label filter ("key" or "key=value").
func sweepLabel(ctx context.Context, cli *testcontainers.DockerClient, label string) error {
	_, err := removeLabelled(ctx, cli, label)
	return err
}

// Removed counts what a sweep removed.
type Removed struct{ Containers, Networks int }

// RemoveRun force-removes every container and network of one run (labelled
// RunLabel=runID): what a harness killed before its Close left behind.
func RemoveRun(ctx context.Context, runID string) (Removed, error) {
	cli, err := dockerClient(ctx)
	if err != nil {
		return Removed{}, fmt.Errorf("remove docker run %s: %w", runID, err)
	}
	defer cli.Close()
	n, err := removeLabelled(ctx, cli, RunLabel+"="+runID)
	if err != nil {
		return n, fmt.Errorf("remove docker run %s: %w", runID, err)
	}
	return n, nil
}

func removeLabelled(ctx context.Context, cli *testcontainers.DockerClient, label string) (Removed, error) {
	filter := make(client.Filters).Add("label", label)
	var n Removed
	var errs []error
	ctrs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		return n, fmt.Errorf("list containers: %w", err)
	}
	for _, c := range ctrs.Items {
		_, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		switch {
		case err == nil:
			n.Containers++
		case !isGone(err):
			errs = append(errs, fmt.Errorf("remove container %.12s: %w", c.ID, err))
		}
	}
	nets, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
	if err != nil {
		return n, errors.Join(append(errs, fmt.Errorf("list networks: %w", err))...)
	}
	for _, nw := range nets.Items {
		_, err := cli.NetworkRemove(ctx, nw.ID, client.NetworkRemoveOptions{})
		switch {
		case err == nil:
			n.Networks++
		case !isGone(err):
			errs = append(errs, fmt.Errorf("remove network %s: %w", nw.Name, err))
		}
	}
	return n, errors.Join(errs...)
}

// isGone says whether a removal failed only because the object is already
// gone (or going): the goal is reached.
func isGone(err error) bool {
	return cerrdefs.IsNotFound(err) || strings.Contains(err.Error(), "already in progress")
}

// saveLog writes a container's output (stdout and stderr) to path.
func saveLog(ctx context.Context, ctr interface {
	Logs(context.Context) (io.ReadCloser, error)
}, path string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rc, err := ctr.Logs(ctx)
	if err != nil {
		return fmt.Errorf("container log: %w", err)
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("container log: %w", err)
	}
	if _, err := io.Copy(f, rc); err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return fmt.Errorf("container log: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("container log: %w", err)
	}
	return nil
}

// newRunID draws the id that labels one stack's objects.
func newRunID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
