package suite

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// shardAll returns the n slices of s, failing the test on error.
func shardAll(t *testing.T, s *Suite, n int) []*Suite {
	t.Helper()
	parts := make([]*Suite, n)
	for i := range n {
		p, err := Shard(s, i, n)
		if err != nil {
			t.Fatalf("Shard(%d, %d): %v", i, n, err)
		}
		parts[i] = p
	}
	return parts
}

func oneScenario(sc Scenario) *Suite {
	return &Suite{Name: "s", Scenarios: []*Scenario{&sc}}
}

func TestShardSplitsUsersExactly(t *testing.T) {
	tests := []struct {
		name      string
		users, n  int
		wantUsers []int // 0: the shard skips the scenario
		wantBases []uint32
	}{
		{"50 over 4", 50, 4, []int{13, 13, 12, 12}, []uint32{0, 13, 26, 38}},
		{"1 over 3", 1, 3, []int{1, 0, 0}, []uint32{0, 0, 0}},
		{"even", 9, 3, []int{3, 3, 3}, []uint32{0, 3, 6}},
		{"one shard", 7, 1, []int{7}, []uint32{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			whole := oneScenario(Scenario{Name: "a", Users: tt.users, Load: LoadModel{Kind: Closed}})
			var gotUsers []int
			var gotBases []uint32
			seen := map[uint32]bool{}
			for _, p := range shardAll(t, whole, tt.n) {
				if len(p.Scenarios) == 0 {
					gotUsers, gotBases = append(gotUsers, 0), append(gotBases, 0)
					continue
				}
				sc := p.Scenarios[0]
				gotUsers, gotBases = append(gotUsers, sc.Users), append(gotBases, sc.UserBase)
				for id := sc.UserBase; id < sc.UserBase+uint32(sc.Users); id++ {
					if seen[id] {
						t.Fatalf("user id %d in two shards", id)
					}
					seen[id] = true
				}
			}
			if !slices.Equal(gotUsers, tt.wantUsers) {
				t.Errorf("users = %v, want %v", gotUsers, tt.wantUsers)
			}
			if !slices.Equal(gotBases, tt.wantBases) {
				t.Errorf("user bases = %v, want %v", gotBases, tt.wantBases)
			}
			if got, want := len(seen), tt.users; got != want {
				t.Errorf("distinct ids = %d, want %d", got, want)
			}
		})
	}
}

func TestShardSplitsRatesExactly(t *testing.T) {
	tests := []struct {
		name  string
		load  LoadModel
		n     int
		rates func(LoadModel) []Rate // the rates of a model, in order
		want  [][]Rate               // per shard
	}{
		{
			name: "100/s over 3", n: 3,
			load:  LoadModel{Kind: Constant, Rate: 100},
			rates: func(m LoadModel) []Rate { return []Rate{m.Rate} },
			want:  [][]Rate{{34}, {33}, {33}},
		},
		{
			name: "2.5/s over 2", n: 2,
			load:  LoadModel{Kind: Constant, Rate: 2.5},
			rates: func(m LoadModel) []Rate { return []Rate{m.Rate} },
			want:  [][]Rate{{1.25}, {1.25}},
		},
		{
			name: "2/s over 4 is below one a second each", n: 4,
			load:  LoadModel{Kind: Constant, Rate: 2},
			rates: func(m LoadModel) []Rate { return []Rate{m.Rate} },
			want:  [][]Rate{{0.5}, {0.5}, {0.5}, {0.5}},
		},
		{
			name: "ramp 10→200 over 3", n: 3,
			load:  LoadModel{Kind: Ramp, From: 10, To: 200},
			rates: func(m LoadModel) []Rate { return []Rate{m.From, m.To} },
			want:  [][]Rate{{4, 67}, {3, 67}, {3, 66}},
		},
		{
			name: "stages over 3", n: 3,
			load: LoadModel{Kind: Staged, Stages: []Stage{{Rate: 100, Duration: time.Second}, {Rate: 1.5, Duration: 2 * time.Second}}},
			rates: func(m LoadModel) []Rate {
				var rs []Rate
				for _, s := range m.Stages {
					rs = append(rs, s.Rate)
				}
				return rs
			},
			want: [][]Rate{{34, 0.5}, {33, 0.5}, {33, 0.5}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			whole := oneScenario(Scenario{Name: "a", Users: 10, Load: tt.load})
			wholeRates := tt.rates(whole.Scenarios[0].Load)
			sums := make([]Rate, len(wholeRates))
			for i, p := range shardAll(t, whole, tt.n) {
				got := tt.rates(p.Scenarios[0].Load)
				if !slices.Equal(got, tt.want[i]) {
					t.Errorf("shard %d rates = %v, want %v", i, got, tt.want[i])
				}
				for k, r := range got {
					sums[k] += r
				}
			}
			if got, want := sums, wholeRates; !slices.Equal(got, want) {
				t.Errorf("rates add up to %v, want %v", got, want)
			}
			if got, want := tt.rates(whole.Scenarios[0].Load), wholeRates; !slices.Equal(got, want) {
				t.Errorf("the whole suite changed: %v, want %v", got, want)
			}
		})
	}
}

func TestShardKeepsActionsOnShardZero(t *testing.T) {
	whole := oneScenario(Scenario{
		Name: "f", Users: 6, Load: LoadModel{Kind: Constant, Rate: 30},
		Actions: []Action{{At: time.Second, Do: "kill"}}, Autoscale: &Autoscale{},
	})
	for i, p := range shardAll(t, whole, 3) {
		sc := p.Scenarios[0]
		if got, want := len(sc.Actions) > 0, i == 0; got != want {
			t.Errorf("shard %d has actions = %v, want %v", i, got, want)
		}
		if got, want := sc.Autoscale != nil, i == 0; got != want {
			t.Errorf("shard %d has autoscale = %v, want %v", i, got, want)
		}
	}
	if len(whole.Scenarios[0].Actions) != 1 {
		t.Error("Shard modified the whole suite's actions")
	}
}

func TestShardRejects(t *testing.T) {
	tests := []struct {
		name string
		sc   Scenario
		i, n int
		want string
	}{
		{"index past count", Scenario{Name: "a", Users: 3}, 3, 3, "index"},
		{"no shards", Scenario{Name: "a", Users: 3}, 0, 0, "count"},
		{"open with fewer users than shards", Scenario{Name: "a", Users: 2, Load: LoadModel{Kind: Constant, Rate: 10}}, 0, 3, "at least 3 users"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Shard(oneScenario(tt.sc), tt.i, tt.n)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestShardBuiltInSuites(t *testing.T) {
	for _, name := range BuiltIn() {
		t.Run(name, func(t *testing.T) {
			whole, err := Load(name)
			if err != nil {
				t.Fatal(err)
			}
			users := map[string]int{}
			for _, p := range shardAll(t, whole, 3) {
				for _, sc := range p.Scenarios {
					users[sc.Name] += sc.Users
				}
			}
			for _, sc := range whole.Scenarios {
				if got, want := users[sc.Name], sc.Users; got != want {
					t.Errorf("%s: users add up to %d, want %d", sc.Name, got, want)
				}
			}
		})
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		in      string
		want    ShardSpec
		wantErr bool
	}{
		{"0/3", ShardSpec{0, 3}, false},
		{" 2 / 3 ", ShardSpec{2, 3}, false},
		{"0/1", ShardSpec{0, 1}, false},
		{"3/3", ShardSpec{}, true},
		{"-1/3", ShardSpec{}, true},
		{"1/0", ShardSpec{}, true},
		{"1", ShardSpec{}, true},
		{"a/b", ShardSpec{}, true},
		{"0/10001", ShardSpec{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseShard(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/3", "2/3", "3/3", "x", "1/", "/1", "-0/1", "+1/2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseShard(s)
		if err != nil {
			return
		}
		if spec.Index < 0 || spec.Index >= spec.Count || spec.Count > MaxShards {
			t.Fatalf("ParseShard(%q) = %v: out of range", s, spec)
		}
		again, err := ParseShard(spec.String())
		if err != nil || again != spec {
			t.Fatalf("round trip of %v = %v, %v", spec, again, err)
		}
	})
}
