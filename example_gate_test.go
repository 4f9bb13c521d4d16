package loadharness_test

import (
	"fmt"

	"loadharness"
)

func ExampleParseGate() {
	g, err := loadharness.ParseGate("p(99.9){step:map} <= 1500ms")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(g)
	fmt.Println(g.Metric.Kind, g.Metric.Quantile, g.Step, g.Threshold)

	_, err = loadharness.ParseGate("p95 < 2")
	fmt.Println(err)
	// Output:
	// p99.9{step:map} <= 1.5s
	// latency 99.9 map 1500
	// column 7: latency needs a unit, e.g. 2s or 200ms
}

func ExampleGate_Evaluate() {
	g, err := loadharness.ParseGate("p95 < 2s")
	if err != nil {
		fmt.Println(err)
		return
	}
	measure := loadharness.MeasurerFunc(func(m loadharness.Metric, s loadharness.Scope) (float64, bool) {
		return 734, true // milliseconds, as an aggregate would answer
	})
	r := g.Evaluate("browse", measure)
	fmt.Println(r.Pass, r.Display)
	fmt.Println(loadharness.Judge(loadharness.Evidence{Gates: []loadharness.GateResult{r}}).Verdict)
	// Output:
	// true p95 = 734ms (gate < 2s, margin 1.27s)
	// pass
}
