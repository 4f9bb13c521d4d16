//go:build unix

package reports_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"loadharness/reports"
)

// artefactDir is where browser tests keep what a person may want to look
// at: $LOADHARNESS_TEST_ARTEFACTS/NAME when set (CI uploads it), else the
// test's temporary directory.
func artefactDir(t *testing.T, name string) string {
	t.Helper()
	root := os.Getenv("LOADHARNESS_TEST_ARTEFACTS")
	if root == "" {
		return t.TempDir()
	}
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// chromiumPath finds Debian's chromium, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium is not installed (Debian: apt-get install chromium): the browser test of report.html is skipped")
	return ""
}

// TestHTMLInChromium opens report.html in headless Chromium, as a person
// would open the CI artefact: every chart must have decoded (the page's own
// script writes data-images-loaded="N/N" on load), and the verdict, what it
// rests on, the users-over-time and per-step charts, the status table and
// the baseline comparison must be in the page the browser built. The
// screenshot stays beside the page in the artefact directory; with -update
// its top (verdict to step tables) is kept as testdata/report-top.png, for
// a reviewer to see the page without a browser.
func TestHTMLInChromium(t *testing.T) {
	bin := chromiumPath(t)
	if testing.Short() {
		t.Skip("browser test: skipped in -short mode")
	}
	dir := artefactDir(t, "report-html")
	in := renderedFixture(t)
	in.Environment.ServiceVersion = "shop 2.14.0-rc1"
	withSlowerBaseline(t, &in)
	var buf bytes.Buffer
	if err := reports.WriteHTML(&buf, in); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "report.png")

	// One browser start does both: starting Chromium is the slow part.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
		"--user-data-dir="+t.TempDir(),
		// Virtual time lets the load handler run before the DOM is dumped.
		"--virtual-time-budget=5000",
		"--window-size=1280,4000", "--screenshot="+shot, "--dump-dom",
		"file://"+page)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Chromium forks helpers that inherit stdout: on a timeout kill the
	// whole group, and do not wait on their pipes for ever.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	dom := stdout.String()

	want := fmt.Sprintf(`data-images-loaded="%d/%d"`, len(in.Charts), len(in.Charts))
	if !strings.Contains(dom, want) {
		got := regexp.MustCompile(`data-images-loaded="[^"]*"`).FindString(dom)
		t.Errorf("body says %s, want %s: a chart did not load", got, want)
	}
	for _, want := range []string{
		`<span class="word">FAIL</span>`, `id="evidence"`, "shop 2.14.0-rc1",
		`id="chart-users-browse"`, `id="chart-steps-browse"`, `id="statuses"`, "502 Bad Gateway",
		`id="baseline"`, "out/last-night", "regression(s)",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page Chromium built lacks %q", want)
		}
	}
	st, err := os.Stat(shot)
	if err != nil || st.Size() < 10_000 {
		t.Fatalf("screenshot %s: %v (size %v)", shot, err, st)
	}
	if *update {
		keepTop(t, ctx, bin, page)
	}
	t.Logf("report.html and its screenshot: %s", dir)
}

// keepTop writes the top of the page, 1280 by 2200 pixels, to
// testdata/report-top.png.
func keepTop(t *testing.T, ctx context.Context, bin, page string) {
	t.Helper()
	shot, err := filepath.Abs(filepath.Join("testdata", "report-top.png"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000", "--window-size=1280,2200", "--screenshot="+shot, "file://"+page)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium screenshot: %v\n%s", err, out)
	}
}
