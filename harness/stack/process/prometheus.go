package process

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"loadharness/harness/stack"
)

// prometheusPackage is what to install when the binary is missing.
const prometheusPackage = "Debian's prometheus package (apt-get install prometheus)"

// prometheusServer is a stack's own Prometheus (StackShape.Prometheus):
// Debian's prometheus binary, scraping every target worker's own metrics
// port through file_sd files, one per instance, that the stack writes as
// instances come and go.
type prometheusServer struct {
	proc *process
	url  string
	// sdDir holds one file_sd file per instance (instance-N.json).
	sdDir string
}

// startPrometheus starts prometheus from PATH with its configuration,
// targets and storage under dir, its log at logPath, listening on a free
// loopback port with the remote-write receiver on. It does not wait for it
// to be ready: see ready.
func startPrometheus(dir, logPath string, track stack.Tracker) (*prometheusServer, error) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		return nil, fmt.Errorf("start prometheus: stack: {prometheus: true} runs %s: %w", prometheusPackage, err)
	}
	sdDir := filepath.Join(dir, "targets")
	if err := os.MkdirAll(sdDir, 0o755); err != nil {
		return nil, fmt.Errorf("start prometheus: %w", err)
	}
	config := filepath.Join(dir, "prometheus.yml")
	if err := writeFileAtomic(config, stack.PrometheusConfig(filepath.Join(sdDir, "*.json"))); err != nil {
		return nil, fmt.Errorf("start prometheus: %w", err)
	}
	port, err := stack.FreeLoopbackPort()
	if err != nil {
		return nil, fmt.Errorf("start prometheus: %w", err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	proc, err := startProcess("prometheus", bin, []string{
		"--config.file=" + config,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr,
		// Remote write v1, what Prometheus 2.42 receives: the harness can
		// push its own live metrics beside the target's.
		"--web.enable-remote-write-receiver",
	}, logPath, track)
	if err != nil {
		return nil, err
	}
	return &prometheusServer{proc: proc, url: "http://" + addr, sdDir: sdDir}, nil
}

// setInstance makes Prometheus scrape the workers of one instance, through
// a file of that instance's alone: written whole and renamed into place, so
// Prometheus never reads half of it.
func (p *prometheusServer) setInstance(name string, targets []stack.WorkerTarget) error {
	if err := writeFileAtomic(p.sdFile(name), stack.FileSD(targets)); err != nil {
		return fmt.Errorf("prometheus targets of %s: %w", name, err)
	}
	return nil
}

// dropInstance stops the scrapes of an instance: its file goes, and with
// it its targets.
func (p *prometheusServer) dropInstance(name string) error {
	if err := os.Remove(p.sdFile(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("prometheus targets of %s: %w", name, err)
	}
	return nil
}

func (p *prometheusServer) sdFile(instance string) string {
	return filepath.Join(p.sdDir, instance+".json")
}

// close stops Prometheus gracefully (it writes its head block), killing it
// after a few seconds.
func (p *prometheusServer) close() error { return p.proc.stopWithin(10 * time.Second) }

// writeFileAtomic writes data to a temporary file beside path and renames
// it over path.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// freeLoopbackPorts finds n consecutive free ports on 127.0.0.1 and
// returns the first: the own metrics ports of an instance's workers. Like
// stack.FreeLoopbackPort, the ports are released before use.
func freeLoopbackPorts(n int) (int, error) {
	for range 50 {
		first, err := stack.FreeLoopbackPort()
		if err != nil {
			return 0, err
		}
		if first+n-1 > 65535 {
			continue
		}
		free := true
		for k := 1; k < n && free; k++ {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(first+k))
			if err != nil {
				free = false
				break
			}
			ln.Close()
		}
		if free {
			return first, nil
		}
	}
	return 0, fmt.Errorf("find %d consecutive free ports: none in 50 tries", n)
}
