package main

import (
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"loadharness"
	"loadharness/examples/shop"
	"loadharness/reports"
)

// shopSuite is the example suite for a service the harness did not write.
const shopSuite = "../../examples/shop/suite.yaml"

// runShop runs the example suite against a shop built with opts, with a
// secret in the environment, and returns the exit code, the output
// directory, everything loadtest printed and the shop's own counts.
func runShop(t *testing.T, secret string, opts ...shop.Option) (int, string, string, shop.Stats) {
	t.Helper()
	f, err := os.Open("../../examples/shop/accounts.csv")
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := shop.ReadAccounts(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(shop.New(accounts, opts...))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "out")
	env := append(os.Environ(), "SHOP_CLIENT_KEY="+secret)
	code, stdout, stderr := loadtestEnv(t, env, "run", shopSuite, "--provider", "external", "--target", srv.URL, "--out", out)
	return code, out, stdout + stderr, srv.Config.Handler.(*shop.Server).Stats()
}

// stepOf returns the figures of a scenario's step.
func stepOf(t *testing.T, s reports.Summary, scenario, step string) reports.StepSummary {
	t.Helper()
	for _, sc := range s.Scenarios {
		if sc.Name != scenario {
			continue
		}
		for _, st := range sc.Steps {
			if st.Name == step {
				return st
			}
		}
	}
	t.Fatalf("no step %s/%s in the summary", scenario, step)
	return reports.StepSummary{}
}

// TestExampleShopPassesAndKeepsItsSecret runs examples/shop/suite.yaml, as
// the README shows, against a healthy shop: every gate holds, nothing is
// skipped, and the secret from the environment appears in no file of the
// run and in nothing loadtest printed.
func TestExampleShopPassesAndKeepsItsSecret(t *testing.T) {
	if testing.Short() {
		t.Skip("a 10 s run: skipped in -short mode")
	}
	const secret = "s3cr3t-client-key-4f9a2c"
	code, out, printed, stats := runShop(t, secret)
	if code != loadharness.ExitPass {
		t.Fatalf("exit %d, want a pass\n%s", code, printed)
	}
	s := mustReadSummary(t, out)
	if st := stepOf(t, s, "orders", "order-status"); st.Requests == 0 || st.Skipped != 0 {
		t.Errorf("order-status: %d requests, %d skipped; want requests and no skip", st.Requests, st.Skipped)
	}
	if got, want := stepOf(t, s, "orders", "order").Requests, int(stats.OrdersAccepted); got != want {
		t.Errorf("harness counts %d orders, the shop accepted %d", got, want)
	}
	if strings.Contains(printed, secret) {
		t.Errorf("loadtest printed the secret")
	}
	if !strings.Contains(printed, "nothing is started") || strings.Contains(printed, "instance(s)") {
		t.Errorf("the start line does not say that nothing is started for an external service:\n%s", printed)
	}
	redacted := false
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), secret) {
			t.Errorf("%s holds the secret", path)
		}
		redacted = redacted || strings.Contains(string(data), "client=%5Bredacted%5D") || strings.Contains(string(data), "client=[redacted]")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !redacted {
		t.Error("no file shows the secret's place as [redacted]: the test would not see a leak")
	}
}

// TestExampleShopCatchesRejectedOrders runs the suite against a shop that
// answers 201 with status "rejected" to every 5th order: each is a failed
// check of the order step, counted exactly, the order read-back that needs
// its id is skipped, and the run fails.
func TestExampleShopCatchesRejectedOrders(t *testing.T) {
	if testing.Short() {
		t.Skip("a 10 s run: skipped in -short mode")
	}
	code, out, printed, stats := runShop(t, "another-secret-value", shop.WithWrongStatus())
	if code != loadharness.ExitFail {
		t.Fatalf("exit %d, want a failed gate\n%s", code, printed)
	}
	s := mustReadSummary(t, out)
	order := stepOf(t, s, "orders", "order")
	if order.ChecksFailed != int(stats.OrdersRejected) || order.ChecksFailed == 0 {
		t.Errorf("harness counts %d failed order checks, the shop rejected %d orders", order.ChecksFailed, stats.OrdersRejected)
	}
	users := 20
	skipped := stepOf(t, s, "orders", "order-status").Skipped
	if skipped > int(stats.OrdersRejected) || skipped < int(stats.OrdersRejected)-users {
		t.Errorf("%d read-backs skipped for %d rejected orders (want one each, but for those the run's end cut)", skipped, stats.OrdersRejected)
	}
	failed := map[string]bool{}
	for _, g := range s.Gates {
		if !g.Pass && g.Scenario == "orders" {
			failed[g.Gate.Metric.Name] = true
		}
	}
	if !failed[loadharness.MetricCheckRate] || !failed[loadharness.MetricSkipped] {
		t.Errorf("failed gates %v, want check_rate and skipped", failed)
	}
}
