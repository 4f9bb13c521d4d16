package capacity

import (
	"math"
	"slices"
	"strings"
	"testing"

	"loadharness"
)

func TestParseGrid(t *testing.T) {
	tests := []struct {
		name    string
		specs   []string
		want    Grid
		wantErr string
	}{
		{name: "one argument", specs: []string{"workers=1,2,4 instances=1,2,3"},
			want: Grid{Workers: []int{1, 2, 4}, Instances: []int{1, 2, 3}}},
		{name: "two arguments, unsorted", specs: []string{"workers=4,1", "instances=3"},
			want: Grid{Workers: []int{1, 4}, Instances: []int{3}}},
		{name: "one axis", specs: []string{"instances=1,2"}, want: Grid{Instances: []int{1, 2}}},
		{name: "unknown axis", specs: []string{"threads=1"}, wantErr: "unknown axis"},
		{name: "no equals", specs: []string{"workers"}, wantErr: "NAME=V1,V2"},
		{name: "zero", specs: []string{"workers=0"}, wantErr: "1..64"},
		{name: "not a number", specs: []string{"workers=1,x"}, wantErr: `"x"`},
		{name: "duplicate value", specs: []string{"workers=2,2"}, wantErr: "twice"},
		{name: "duplicate axis", specs: []string{"workers=1", "workers=2"}, wantErr: "given twice"},
		{name: "too many shapes", specs: []string{"workers=1,2,3,4,5 instances=1,2,3,4"}, wantErr: "at most"},
		{name: "nothing", specs: []string{" "}, wantErr: "no axis"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGrid(tt.specs...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseGrid(%q) error = %v, want it to mention %q", tt.specs, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Workers, tt.want.Workers) || !slices.Equal(got.Instances, tt.want.Instances) {
				t.Errorf("ParseGrid(%q) = %+v, want %+v", tt.specs, got, tt.want)
			}
		})
	}
}

func TestParseCost(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    Cost
		wantErr string
	}{
		{name: "the seed's table", text: "instance_monthly=47.5,redis_monthly=25,target_users=100,peak_users=200",
			want: Cost{InstanceMonthly: 47.5, RedisMonthly: 25, Target: 100, Peak: 200, Unit: "users"}},
		{name: "spaces, rate, peak defaults to target", text: "instance_monthly=10 target_rps=150",
			want: Cost{InstanceMonthly: 10, Target: 150, Peak: 150, Unit: "req/s"}},
		{name: "mixed units", text: "instance_monthly=1,target_users=1,peak_rps=2", wantErr: "must all be in users or all in req/s"},
		{name: "no price", text: "target_users=10", wantErr: "instance_monthly is required"},
		{name: "no target", text: "instance_monthly=10", wantErr: "target above 0"},
		{name: "peak below target", text: "instance_monthly=1,target_users=10,peak_users=5", wantErr: "below the target"},
		{name: "negative", text: "instance_monthly=-1,target_users=1", wantErr: "not a number"},
		{name: "NaN", text: "instance_monthly=NaN,target_users=1", wantErr: "not a number"},
		{name: "unknown key", text: "instance_monthly=1,target_users=1,vat=20", wantErr: "unknown key"},
		{name: "twice", text: "instance_monthly=1,instance_monthly=2,target_users=1", wantErr: "given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCost(tt.text)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseCost(%q) error = %v, want it to mention %q", tt.text, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseCost(%q) = %+v, want %+v", tt.text, got, tt.want)
			}
		})
	}
}

// searchOf is a finished search of one shape with the given capacity.
func searchOf(workers, instances int, capacity float64) Result {
	return Result{Shape: loadharness.StackShape{Workers: workers, Instances: instances}, Capacity: capacity, Confirmed: true}
}

func TestGridSummarizeFormula(t *testing.T) {
	r := GridResult{By: ByUsers, PerWorker: 10, CPUs: 2, Searches: []Result{
		searchOf(1, 1, 10), searchOf(2, 1, 19), searchOf(1, 2, 18), searchOf(4, 1, 25), searchOf(4, 3, 30),
	}}
	r.summarize(nil)
	tests := []struct {
		workers, instances int
		formula            float64
		holds              bool
	}{
		{1, 1, 10, true}, {2, 1, 20, true}, {1, 2, 20, true}, {4, 1, 40, false}, {4, 3, 120, false},
	}
	for i, tt := range tests {
		got := r.Shapes[i]
		if got.Workers != tt.workers || got.Instances != tt.instances || got.Formula != tt.formula || got.Holds != tt.holds {
			t.Errorf("shape %d = %d×%d formula %g holds %v, want %d×%d formula %g holds %v",
				i, got.Instances, got.Workers, got.Formula, got.Holds, tt.instances, tt.workers, tt.formula, tt.holds)
		}
	}
	if !strings.HasPrefix(r.StopsHolding, "1 instance(s) × 4 worker(s)") {
		t.Errorf("stops holding at %q, want the 1 × 4 shape", r.StopsHolding)
	}
	if len(r.ShortOf) != 0 {
		t.Errorf("short of the formula below the point it stops holding: %q, want none", r.ShortOf)
	}
	if !slices.ContainsFunc(r.Findings, func(f string) bool {
		return strings.Contains(f, "levels off at about 30 users: 3 instance(s) × 4 worker(s)")
	}) {
		t.Errorf("findings lack the plateau: %q", r.Findings)
	}
	if !slices.ContainsFunc(r.Findings, func(f string) bool { return strings.Contains(f, "2 CPU core(s)") }) {
		t.Errorf("findings do not say the cores are shared: %q", r.Findings)
	}
}

func TestGridSummarizeIsolatedMiss(t *testing.T) {
	// A shape below the formula amid shapes that meet it is a miss, not the
	// point where the formula stops holding.
	r := GridResult{By: ByUsers, PerWorker: 10, CPUs: 2, Searches: []Result{
		searchOf(1, 1, 10), searchOf(2, 1, 9), searchOf(1, 2, 20), searchOf(2, 2, 40),
	}}
	r.summarize(nil)
	if r.StopsHolding != "" {
		t.Errorf("stops holding at %q, want nowhere: the largest shape holds", r.StopsHolding)
	}
	if len(r.ShortOf) != 1 || !strings.HasPrefix(r.ShortOf[0], "1 instance(s) × 2 worker(s)") {
		t.Errorf("short of = %q, want the 1 × 2 shape", r.ShortOf)
	}
}

func TestGridShapesSmallestFirst(t *testing.T) {
	got := gridShapes(Grid{Workers: []int{1, 2, 4}, Instances: []int{1, 2, 3}}, 4, 3)
	if got[0] != [2]int{1, 1} {
		t.Fatalf("first shape %v, want 1 worker × 1 instance", got[0])
	}
	for i := 1; i < len(got); i++ {
		if got[i][0]*got[i][1] < got[i-1][0]*got[i-1][1] {
			t.Errorf("shapes not ordered by total workers: %v", got)
		}
	}
	if got, want := len(got), 9; got != want {
		t.Errorf("%d shapes, want %d", got, want)
	}
	if got := gridShapes(Grid{Instances: []int{2}}, 4, 3); len(got) != 1 || got[0] != [2]int{4, 2} {
		t.Errorf("an empty axis must keep the suite's value: %v", got)
	}
}

func TestPlanFleet(t *testing.T) {
	cost := Cost{InstanceMonthly: 47.5, RedisMonthly: 25, Target: 100, Peak: 200, Unit: "users"}
	shapes := []GridShape{
		{Workers: 1, Instances: 1, Capacity: 30}, {Workers: 4, Instances: 1, Capacity: 60},
		{Workers: 4, Instances: 2, Capacity: 110}, {Workers: 4, Instances: 3, Capacity: 120},
	}
	plan := planFleet(shapes, cost, ByUsers)
	if got, want := plan.Normal, (Fleet{Load: 100, Instances: 2, Workers: 4, Capacity: 110, Monthly: 2*47.5 + 25, Basis: "measured"}); got != want {
		t.Errorf("normal fleet = %+v, want %+v", got, want)
	}
	// No measured shape holds 200: four instances of the best single one (60 users).
	peak := plan.Peak
	if peak.Basis != "extrapolated" || peak.Instances != 4 || peak.Workers != 4 || math.Abs(peak.Monthly-(4*47.5+25)) > 1e-9 {
		t.Errorf("peak fleet = %+v, want 4 extrapolated instances of 4 workers at $215", peak)
	}
	none := planFleet([]GridShape{{Workers: 1, Instances: 1}}, cost, ByUsers)
	if none.Normal.Basis != "" || none.Normal.Note == "" {
		t.Errorf("with nothing measured the fleet must say so: %+v", none.Normal)
	}
}

func FuzzParseGrid(f *testing.F) {
	for _, seed := range []string{"workers=1,2,4 instances=1,2,3", "workers=4,1", "threads=1", "workers=", "=", "workers=1,,2", "instances=64,65", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		g, err := ParseGrid(spec)
		if err != nil {
			return
		}
		for _, axis := range [][]int{g.Workers, g.Instances} {
			if !slices.IsSorted(axis) || len(slices.Compact(slices.Clone(axis))) != len(axis) {
				t.Fatalf("ParseGrid(%q) axis %v is not sorted and distinct", spec, axis)
			}
			for _, v := range axis {
				if v < 1 || v > maxGridValue {
					t.Fatalf("ParseGrid(%q) gave %d, outside 1..%d", spec, v, maxGridValue)
				}
			}
		}
		if n := max(len(g.Workers), 1) * max(len(g.Instances), 1); n > maxGridShapes {
			t.Fatalf("ParseGrid(%q) gave %d shapes", spec, n)
		}
	})
}

func FuzzParseCost(f *testing.F) {
	for _, seed := range []string{
		"instance_monthly=47.5,redis_monthly=25,target_users=100,peak_users=200", "instance_monthly=1 target_rps=3",
		"instance_monthly=1e400,target_users=1", "instance_monthly=-0,target_users=0x10", "=,=", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCost(text)
		if err != nil {
			return
		}
		for _, v := range []float64{c.InstanceMonthly, c.RedisMonthly, c.Target, c.Peak} {
			if math.IsNaN(v) || v < 0 || v > maxCostValue {
				t.Fatalf("ParseCost(%q) = %+v holds a figure outside 0..%g", text, c, float64(maxCostValue))
			}
		}
		if c.Target <= 0 || c.Peak < c.Target || (c.Unit != "users" && c.Unit != "req/s") {
			t.Fatalf("ParseCost(%q) = %+v: target, peak or unit not checked", text, c)
		}
	})
}
