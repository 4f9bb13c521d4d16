package promout

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/promql/parser"
)

const dashboardFile = "../../deploy/grafana/loadtest.json"

// dashboard is the part of Grafana's JSON model the test reads.
type dashboard struct {
	Panels     []dashboardPanel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Definition string          `json:"definition"`
			Query      json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type dashboardPanel struct {
	Title   string `json:"title"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []dashboardPanel `json:"panels"` // a collapsed row's
}

// exportedNames are the names of the series the exporter makes, read from
// what it gathers with every metric present (and checked to be every one
// it describes): a histogram's _bucket, _sum and _count, each other
// family's own name.
func exportedNames(t *testing.T) map[string]bool {
	t.Helper()
	run := Run{ID: "r", Suite: "s"}
	e := NewExporter(run)
	e.Watch(mustAggregate(t, testResults()))
	_, url := startReceiver(t, nil)
	w, err := e.RemoteWrite(url, WithInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(context.Background())
	descs := make(chan *prometheus.Desc, 64)
	e.collector.Describe(descs)
	w.health.Describe(descs)
	close(descs)
	families, err := e.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) != len(descs) {
		t.Fatalf("gathered %d families of the %d described: the fixture leaves some out", len(families), len(descs))
	}
	names := map[string]bool{}
	for _, f := range families {
		if f.GetType() == dto.MetricType_HISTOGRAM {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				names[f.GetName()+suffix] = true
			}
			continue
		}
		names[f.GetName()] = true
	}
	return names
}

// grafanaVariable matches what Grafana substitutes in a query: $name,
// ${name}, ${name:format} and [[name]].
var grafanaVariable = regexp.MustCompile(`\$\{[^}]*\}|\[\[[^\]]*\]\]|\$\w+`)

// grafanaDurations are the variables that stand for a range.
var grafanaDurations = map[string]bool{"__rate_interval": true, "__interval": true, "__range": true}

// substituteVariables turns a Grafana query into PromQL: ranges become 1m,
// every other variable a label value.
func substituteVariables(q string) string {
	return grafanaVariable.ReplaceAllStringFunc(q, func(v string) string {
		name := strings.Trim(v, "${}[]")
		name, _, _ = strings.Cut(name, ":")
		if grafanaDurations[name] {
			return "1m"
		}
		return "x"
	})
}

// labelValuesQuery reads Grafana's label_values(SELECTOR, label).
var labelValuesQuery = regexp.MustCompile(`^\s*label_values\((.*),\s*\w+\s*\)\s*$`)

// checkDashboard returns every problem of the dashboard: a query that does
// not parse as PromQL once Grafana's variables are substituted, a series
// name the exporter does not export, a panel that queries nothing; and
// the exported names no panel shows.
func checkDashboard(raw []byte, names map[string]bool) []error {
	var d dashboard
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&d); err != nil {
		return []error{fmt.Errorf("dashboard JSON: %w", err)}
	}
	var errs []error
	used := map[string]bool{}
	check := func(where, query string) {
		expr, err := parser.NewParser(parser.Options{}).ParseExpr(substituteVariables(query))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q: %w", where, query, err))
			return
		}
		selectors := 0
		parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
			vs, ok := node.(*parser.VectorSelector)
			if !ok {
				return nil
			}
			selectors++
			if !names[vs.Name] {
				errs = append(errs, fmt.Errorf("%s: %q names %q, which the exporter does not export", where, query, vs.Name))
			}
			used[vs.Name] = true
			return nil
		})
		if selectors == 0 {
			errs = append(errs, fmt.Errorf("%s: %q selects no series", where, query))
		}
	}
	var walk func(panels []dashboardPanel)
	walk = func(panels []dashboardPanel) {
		for _, p := range panels {
			for _, target := range p.Targets {
				if strings.TrimSpace(target.Expr) == "" {
					errs = append(errs, fmt.Errorf("panel %q target %s: no expr", p.Title, target.RefID))
					continue
				}
				check(fmt.Sprintf("panel %q target %s", p.Title, target.RefID), target.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		var text string
		if json.Unmarshal(v.Query, &text) != nil {
			if err := json.Unmarshal(v.Query, &q); err != nil {
				errs = append(errs, fmt.Errorf("variable %s: query: %w", v.Name, err))
				continue
			}
			text = q.Query
		}
		// Grafana shows the definition and runs the query: both count.
		for _, text := range []string{text, v.Definition} {
			if text == "" {
				continue
			}
			m := labelValuesQuery.FindStringSubmatch(text)
			if m == nil {
				errs = append(errs, fmt.Errorf("variable %s: %q is not label_values(SELECTOR, LABEL)", v.Name, text))
				continue
			}
			check("variable "+v.Name, m[1])
		}
	}
	for name := range names {
		if !used[name] && !strings.HasSuffix(name, "_sum") && !strings.HasSuffix(name, "_count") {
			errs = append(errs, fmt.Errorf("no panel shows %s", name))
		}
	}
	return errs
}

// Every query of the dashboard, panels and variables, is PromQL that
// names only series the exporter makes, and every series it makes is
// shown (a histogram through its buckets).
func TestDashboardQueriesNameExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	names := exportedNames(t)
	for _, err := range checkDashboard(raw, names) {
		t.Error(err)
	}
	// The check fails a dashboard that names a metric nobody exports, or a
	// query that does not parse: each bad copy must be caught, by name.
	for _, bad := range []struct{ name, from, to, want string }{
		{"unknown metric", "loadtest_requests_failed_total", "loadtest_requests_errored_total", `"loadtest_requests_errored_total", which the exporter does not export`},
		{"bad PromQL", `sum by (scenario) (rate(loadtest_checks_failed_total`, `sum by (scenario) (rate(loadtest_checks_failed_total))`, "parse error"},
		{"unknown metric in a variable", "label_values(loadtest_requests_total, run_id)", "label_values(loadtest_request_total, run_id)", `"loadtest_request_total"`},
	} {
		t.Run(bad.name, func(t *testing.T) {
			badCopy := bytes.Replace(raw, []byte(bad.from), []byte(bad.to), 1)
			if bytes.Equal(badCopy, raw) {
				t.Fatalf("the dashboard has no %q to spoil", bad.from)
			}
			errs := checkDashboard(badCopy, names)
			if len(errs) == 0 {
				t.Fatal("the spoilt copy passes")
			}
			if !strings.Contains(fmt.Sprint(errs), bad.want) {
				t.Errorf("errors %v do not say %q", errs, bad.want)
			}
		})
	}
}

func TestSubstituteVariables(t *testing.T) {
	tests := []struct{ in, want string }{
		{`rate(m{run_id=~"$run_id"}[$__rate_interval])`, `rate(m{run_id=~"x"}[1m])`},
		{`rate(m{a="${a:regex}", b="[[b]]"}[${__interval}])`, `rate(m{a="x", b="x"}[1m])`},
		{`sum(m)`, `sum(m)`},
	}
	for _, tc := range tests {
		if got := substituteVariables(tc.in); got != tc.want {
			t.Errorf("substituteVariables(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
