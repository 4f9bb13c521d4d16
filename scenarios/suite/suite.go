package suite

import (
	"embed"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"loadharness"
)

// maxSuiteBytes bounds a suite file: a suite is a page of YAML, and a bound
// keeps a mistaken path (a log file) from being parsed for minutes.
const maxSuiteBytes = 1 << 20

//go:embed suites/*.yaml
var builtInSuites embed.FS

// Suite is a named set of scenarios, the stack they run on and the gates that
// judge them: one YAML file.
type Suite struct {
	Name        string
	Description string
	// File is where the suite was read from, as given to Parse.
	File string
	// Digest names the file's exact content (see Digest).
	Digest string
	// Stack is the shape of the stack to bring up; omitted fields take their
	// value from loadharness.DefaultStackShape.
	Stack loadharness.StackShape
	// Session says how responses prove session integrity.
	Session SessionProbe
	// Gates are the suite-wide gates; every scenario's Gates begin with them.
	Gates     []GateSpec
	Scenarios []*Scenario
	// Abort stops the run early when the target keeps failing.
	Abort AbortRule
	// Limits cap rate, users and duration; every scenario is within them.
	Limits Limits
	// TLS configures https targets (a staging CA, or no verification).
	TLS TLS
	// Secrets are the values the suite took from the environment: every
	// output replaces them with Redacted.
	Secrets []string
}

// TLS configures the client side of https targets.
type TLS struct {
	// CAFile is a PEM file of certificates trusted as well as the
	// system's; CAPEM is its content, read with the suite.
	CAFile string
	CAPEM  []byte
	// InsecureSkipVerify skips certificate verification, for a staging
	// service with a certificate of its own; every output warns of it.
	InsecureSkipVerify bool
}

// Pick says how a user chooses its next step.
type Pick string

const (
	// PickSequence cycles each user through the steps in order.
	PickSequence Pick = "sequence"
	// PickWeighted draws each step at random in proportion to its weight.
	PickWeighted Pick = "weighted"
)

// Scenario is one load pattern: its virtual users, their steps and checks,
// when requests are sent, timed actions and gates.
type Scenario struct {
	Name        string
	Description string
	// Users is the number of virtual users, each with its own session: the
	// concurrency of a closed model, the pool of an open one.
	Users int
	// Think is the pause between a user's requests in a closed model.
	Think time.Duration
	// Duration is how long load is measured, after Warmup.
	Duration time.Duration
	// Warmup is how long load is sent before measuring; its results are
	// the warm-up phase's, apart from the measured figures.
	Warmup time.Duration
	Load   LoadModel
	// Setup runs once per user before the timed part (for example login and
	// upload); its results are delivered marked as the setup phase's.
	Setup []Step
	// SetupRamp spreads the setup requests evenly over this long, so that
	// the users do not all log in at once; 0 sends them as fast as the
	// users can. A parsed suite that says nothing has DefaultSetupRamp.
	SetupRamp time.Duration
	// Steps are what users repeat for the scenario's duration.
	Steps []Step
	Pick  Pick
	// Actions are sorted by At.
	Actions []Action
	// Autoscale is the scaling policy the harness applies while the
	// scenario runs; nil means none.
	Autoscale *Autoscale
	// Recovery says when the scenario has recovered after an action, for
	// the recovery_time gate.
	Recovery Recovery
	// Gates are the suite's gates followed by the scenario's own.
	Gates []GateSpec
	// Pos is where the scenario was written.
	Pos Pos
	// UserBase is the scenario's first virtual user id, 0 unless Shard set
	// it: each shard's users are its slice of the whole run's ids.
	UserBase uint32
	// Data is the test data its users take rows of; nil for none.
	Data *Data
}

// BuiltIn lists the names of the suites embedded in the program.
func BuiltIn() []string {
	entries, err := builtInSuites.ReadDir("suites")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// Load reads a suite: a bare name (no slash, no .yaml or .yml) is a built-in
// suite (see BuiltIn), anything else a file path.
func Load(nameOrPath string) (*Suite, error) {
	if isBareName(nameOrPath) {
		file := nameOrPath + ".yaml"
		data, err := builtInSuites.ReadFile(path.Join("suites", file))
		if err != nil {
			return nil, fmt.Errorf("load suite: no built-in suite %q (built-in: %s)", nameOrPath, strings.Join(BuiltIn(), ", "))
		}
		return Parse(file, data)
	}
	f, err := os.Open(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("load suite: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSuiteBytes+1))
	if err != nil {
		return nil, fmt.Errorf("load suite: %w", err)
	}
	return Parse(nameOrPath, data)
}

// isBareName reports whether s names a built-in suite rather than a file.
func isBareName(s string) bool {
	return s != "" && !strings.ContainsAny(s, `/\`) &&
		!strings.HasSuffix(s, ".yaml") && !strings.HasSuffix(s, ".yml")
}

// Scenario returns the scenario called name, or nil.
func (s *Suite) Scenario(name string) *Scenario {
	for _, sc := range s.Scenarios {
		if sc.Name == name {
			return sc
		}
	}
	return nil
}

// StepNames returns the distinct names of the scenario's setup and steps, in
// order of first appearance.
func (sc *Scenario) StepNames() []string {
	var names []string
	for _, list := range [][]Step{sc.Setup, sc.Steps} {
		for _, st := range list {
			if !slices.Contains(names, st.Name) {
				names = append(names, st.Name)
			}
		}
	}
	return names
}

// Setup pacing: DefaultSetupRamp gives each user setupRampPerUser, at most
// maxDefaultSetupRamp in all, so that a hundred users log in over two
// seconds rather than in one burst that a service's queue would reject.
const (
	setupRampPerUser    = 20 * time.Millisecond
	maxDefaultSetupRamp = 2 * time.Second
)

// DefaultSetupRamp is the setup ramp of a scenario of users users that does
// not name one.
func DefaultSetupRamp(users int) time.Duration {
	return min(time.Duration(users)*setupRampPerUser, maxDefaultSetupRamp)
}
