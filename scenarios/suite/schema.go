package suite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"loadharness"
)

// JSONSchema returns the JSON Schema (draft 2020-12) of suite files, for
// editors: with `# yaml-language-server: $schema=suite.schema.json` at the
// top of a suite, a YAML language server completes its keys and flags a
// misspelled key, a wrong type or a value out of range as it is typed.
// The schema knows every key Parse accepts, at every level, and no other
// (a test holds the two together); it takes ${NAME} wherever Parse
// substitutes the environment. What a schema cannot say (alternatives
// given together, rules across fields, files, templates and gate texts)
// is left to Parse, so `loadtest validate` has the last word.
func JSONSchema() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(suiteSchema()); err != nil {
		return nil, fmt.Errorf("suite schema: %w", err)
	}
	return buf.Bytes(), nil
}

// suiteSchema is the schema's root: a suite file.
func suiteSchema() *jsonSchema {
	root := object("A suite of load scenarios for loadtest (docs/own-service.md). "+
		"The schema checks keys, types, choices and ranges; `loadtest validate FILE` checks the rest.",
		prop("name", ref("name", "The suite's name, in file names and reports.")),
		prop("description", text("What the suite proves, for people.")),
		prop("stack", ref("stack", "The shape of the stack loadtest brings up; ignored by --provider external.")),
		prop("session", ref("session", "Where responses name the data set a user's session holds, to prove no session is lost.")),
		prop("gates", ref("gates", "Gates every scenario is judged by, besides its own.")),
		prop("scenarios", listOf(fmt.Sprintf("The scenarios, run one after the other (1..%d).", maxScenarios),
			ref("scenario", ""), 1, maxScenarios, false)),
		prop("abort", anyOf("Stops a run whose target keeps failing: off, or the error rate and how long it must last. "+
			fmt.Sprintf("Default: above %g%% for %s.", DefaultAbortErrorRate*100, DefaultAbortFor),
			&jsonSchema{Enum: []any{"off", false}},
			&jsonSchema{Type: "string", Pattern: anyCase("off", "false", "no")},
			ref("abortRule", ""), envRef())),
		prop("limits", ref("limits", "Caps on how hard a scenario may push; raise them on purpose.")),
		prop("tls", ref("tls", "How to trust an https target.")),
	)
	root.Schema = "https://json-schema.org/draft/2020-12/schema"
	root.Title = "loadtest suite"
	root.Required = []string{"name", "scenarios"}
	root.Defs = schemaList{
		{"scenario", scenarioSchema()},
		{"step", stepSchema()},
		{"stepOrBuiltIn", anyOf("A step: the name of a built-in step ("+strings.Join(BuiltInSteps, ", ")+
			") or a full step. A full step named like a built-in and without path starts from it.",
			&jsonSchema{Enum: anySlice(BuiltInSteps)}, ref("step", ""), envRef())},
		{"upload", uploadSchema()},
		{"expect", expectSchema()},
		{"extraction", extractionSchema()},
		{"check", checkSchema()},
		{"bodySize", bodySizeSchema()},
		{"action", actionSchema()},
		{"autoscale", autoscaleSchema()},
		{"recovery", object("When the scenario counts as recovered after an action, for the recovery_time gate.",
			prop("p95", duration("The p95 latency, per second, that counts as recovered", time.Millisecond, time.Hour)),
			prop("for", duration("How long p95 must stay under it", time.Second, time.Hour)))},
		{"ramp", rampSchema()},
		{"stage", stageSchema()},
		{"data", dataSchema()},
		{"stack", stackSchema()},
		{"session", sessionSchema()},
		{"abortRule", abortRuleSchema()},
		{"limits", limitsSchema()},
		{"tls", object("How to trust an https target.",
			prop("ca_file", text("A PEM file of the certificate authority to trust, beside the suite.")),
			prop("insecure_skip_verify", boolean("Do not verify the target's certificate (staging only; the report says so).")))},
		{"gates", listOf("Gates: a metric, an optional {step:NAME} or {phase:warmup}, a comparison and a threshold; "+
			"or promql(`EXPR`) (a PromQL expression judged at every point over each scenario's main phase, read from --prometheus-url or the stack's own Prometheus), a comparison and a plain number.",
			&jsonSchema{Type: "string", Examples: []any{"p95 < 2s", "error_rate < 1%", "p95{step:map} < 1.5s", "sessions_lost == 0",
				"promql(`avg(rate(process_cpu_seconds_total[30s]))`) < 0.6"}},
			0, -1, true)},
		{"name", &jsonSchema{Description: "1..64 letters, digits, '.', '_' or '-'.",
			Type: scalarTypes, Pattern: "^[A-Za-z0-9._-]{1,64}$"}},
		{"duration", durationSchema()},
		{"rate", rateSchema()},
		{"percent", anyOf("A percentage such as 50%.",
			&jsonSchema{Type: "string", Pattern: `^\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*%\s*$`}, envRef())},
		{"headerName", &jsonSchema{Description: "An HTTP header name.", Type: "string", Pattern: headerNamePattern}},
		{"env", &jsonSchema{Description: "An environment variable, ${NAME} or ${NAME:-default}, substituted when the suite is read.",
			Type: "string", Pattern: `\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}`}},
	}
	describeRefs(root, root.Defs)
	return root
}

// describeRefs gives every reference written without a description its
// definition's, so that an editor shows one on every key.
func describeRefs(s *jsonSchema, defs schemaList) {
	if s == nil {
		return
	}
	if def, ok := strings.CutPrefix(s.Ref, "#/$defs/"); ok && s.Description == "" {
		if d := defs.get(def); d != nil {
			s.Description = d.Description
		}
	}
	for _, c := range s.children() {
		describeRefs(c, defs)
	}
}

// scalarTypes are the JSON types of a YAML scalar the parser reads as
// text: `name: 2024` is the name "2024".
var scalarTypes = []string{"string", "number", "boolean"}

// headerNamePattern is an HTTP token (validHeaderName).
const headerNamePattern = "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$"

func scenarioSchema() *jsonSchema {
	s := object("One scenario: users, a load model and the steps each user repeats. "+
		"A closed model is users (and think); an open model adds rate, ramp or stages.",
		prop("name", ref("name", "The scenario's name, in reports and gates.")),
		prop("description", text("What the scenario stands for, for people.")),
		prop("users", integer("Virtual users, each with its own session; with an open model, the most requests in flight.", 1, MaxUsers)),
		prop("think", duration("A closed model's pause between a user's answer and its next request", 0, MaxThink)),
		prop("duration", duration("How long the measured load lasts; stages give it themselves", 1, MaxDuration)),
		prop("warmup", duration("Load before measuring, not judged by default", 0, MaxWarmup)),
		prop("setup_ramp", duration("How long users take to start their setup steps; default 20ms a user, at most 2s", 0, MaxWarmup)),
		prop("rate", ref("rate", "An open model at a constant rate; users caps the requests in flight.")),
		prop("ramp", ref("ramp", "An open model whose rate goes linearly from from to to over the duration.")),
		prop("stages", listOf(fmt.Sprintf("An open model that holds each stage's rate for its duration in turn (1..%d stages).", MaxStages),
			ref("stage", ""), 1, MaxStages, false)),
		prop("setup", listOf(fmt.Sprintf("Steps each user runs once before the load (login, a first upload; 0..%d).", MaxSetupSteps),
			ref("stepOrBuiltIn", ""), 0, MaxSetupSteps, true)),
		prop("steps", listOf(fmt.Sprintf("The steps each user repeats (1..%d).", MaxSteps),
			ref("stepOrBuiltIn", ""), 1, MaxSteps, false)),
		prop("pick", enum("How a user picks its next step: in order, or at random by weight.",
			string(PickSequence), string(PickWeighted))),
		prop("actions", listOf(fmt.Sprintf("Timed actions on the stack during the scenario (at most %d).", MaxActions),
			ref("action", ""), 0, MaxActions, true)),
		prop("autoscale", ref("autoscale", "A scaling policy the harness applies while the scenario runs.")),
		prop("recovery", ref("recovery", "")),
		prop("gates", ref("gates", "The scenario's own gates, besides the suite's.")),
		prop("data", ref("data", "")),
	)
	s.Required = []string{"name", "users", "steps"}
	return s
}

func stepSchema() *jsonSchema {
	s := object("A request a user sends, and what its answer must be. "+
		"form, body, json, body_file, multipart and upload are alternatives.",
		prop("name", ref("name", "The step's name, in reports and in gates ({step:NAME}).")),
		prop("method", anyOf("The request method; GET by default.",
			&jsonSchema{Enum: anySlice(methods)},
			&jsonSchema{Type: "string", Pattern: anyCase(methods...)}, envRef())),
		prop("path", &jsonSchema{Description: "The path and query, from /; may hold {{user}}, {{row.FIELD}} and extracted {{NAME}}.",
			Type: scalarTypes, Pattern: "^/"}),
		prop("headers", &jsonSchema{Description: "Request headers: names to values (templates allowed).", Type: "object",
			PatternProperties: schemaList{{headerNamePattern, text("")}}, AdditionalProperties: false}),
		prop("form", fieldMap("A form body (application/x-www-form-urlencoded): fields to values.")),
		prop("body", text("A raw body (a template).")),
		prop("upload", anyOf("A generated CSV data set sent as a multipart upload; empty for the default one.",
			&jsonSchema{Type: "null"}, ref("upload", ""))),
		prop("json", &jsonSchema{Description: "A JSON body, written as YAML; its strings may be templates."}),
		prop("body_file", text("A file, beside the suite, sent as the body (a template).")),
		prop("multipart", fieldMap("A multipart/form-data body: fields to values; a value @FILE sends that file.")),
		prop("timeout", duration("The step's own request timeout", time.Millisecond, MaxStepTimeout)),
		prop("extract", &jsonSchema{Description: "Values to keep from the answer, by variable name " +
			"(letters, digits and _; not user or row), for later steps' {{NAME}}.", Type: "object",
			// user and row name the templates' own values: false, so an
			// editor neither offers them nor takes them.
			Properties:           schemaList{{"user", falseSchema}, {"row", falseSchema}},
			PatternProperties:    schemaList{{"^[A-Za-z_][A-Za-z0-9_]*$", ref("extraction", "")}},
			AdditionalProperties: false}),
		prop("checks", listOf("Checks of the answer, counted by check_rate.", ref("check", ""), 0, -1, true)),
		prop("capture", boolean("The answer names a new data set (session.upload_id), which later answers must show the session kept.")),
		prop("weight", integer("How often the step is picked, against the others' weights (pick: weighted).", 1, MaxStepWeight)),
		prop("expect", ref("expect", "")),
	)
	s.Required = []string{"name"}
	return s
}

func uploadSchema() *jsonSchema {
	return object("A generated CSV data set (wards × indicators) sent as a multipart upload.",
		prop("rows", integer(fmt.Sprintf("Rows of the data set; default %d.", DefaultUploadRows), 0, MaxUploadRows)),
		prop("indicators", integer(fmt.Sprintf("Indicator columns; default %d.", DefaultUploadIndicators), 1, 1000)),
		prop("field", text(fmt.Sprintf("The multipart field of the file; default %q.", DefaultUploadField))),
	)
}

func expectSchema() *jsonSchema {
	code := integer("", 100, 599)
	return object("What the answer must be; a request that breaks it is a failed check.",
		prop("status", anyOf("The status code, or a list of those allowed.", code,
			listOf("", integer("", 100, 599), 1, -1, false))),
		prop("content_type", text("What the Content-Type must start with, case aside.")),
		prop("body_contains", text("A text the body must hold.")),
		prop("session", boolean("The answer must name the user's own data set (session.id): a lost session is counted.")),
	)
}

func extractionSchema() *jsonSchema {
	s := object("Where the value is: exactly one of json, header, cookie and regex.",
		prop(FromJSONPath, text("A gjson path into a JSON answer, e.g. token or data.items.0.id.")),
		prop(FromHeaderOf, text("A response header.")),
		prop(FromCookie, text("A cookie the answer sets.")),
		prop(FromRegex, text("A regular expression over the body; its first group, else its match.")),
	)
	s.MinProperties, s.MaxProperties = ptr(1), ptr(1)
	return s
}

func checkSchema() *jsonSchema {
	return object("A check of the answer: one of json, header, body_size and latency; "+
		"json and header take one of equals, exists and matches.",
		prop("name", ref("name", "The check's name in reports; by default what it checks.")),
		prop(CheckJSON, text("A gjson path into a JSON answer.")),
		prop(CheckHeader, ref("headerName", "A response header.")),
		prop(CheckBodySize, ref("bodySize", "")),
		prop(CheckLatency, duration("The most the answer may take", time.Millisecond, MaxStepTimeout)),
		prop("equals", text("The value must equal this text.")),
		prop("exists", boolean("The value must be there (true) or absent (false).")),
		prop("matches", text("The value must match this regular expression.")),
	)
}

func bodySizeSchema() *jsonSchema {
	s := object("The body's size in bytes: min, max or both.",
		prop("min", integer("The fewest bytes.", 0, 1<<40)),
		prop("max", integer("The most bytes.", 1, 1<<40)),
	)
	s.MinProperties = ptr(1)
	return s
}

func actionSchema() *jsonSchema {
	s := object("A timed action on the stack; the fault keys go with do: fault.",
		prop("at", duration("When, from the start of the scenario's measured load", 0, MaxDuration)),
		prop("do", enum("What to do.", actionKindNames()...)),
		prop("instance", integer("Which instance, from 1, for the actions on one.", 1, 64)),
		prop("fault", enum("The fault on the link to Redis.", FaultKinds...)),
		prop("latency", duration("The delay a latency fault adds", time.Millisecond, time.Minute)),
		prop("jitter", duration("How much a latency fault's delay varies, up to latency", 0, time.Minute)),
		prop("kbps", integer("A bandwidth fault's limit, KB a second.", 1, 1<<30)),
		prop("timeout", duration("After how long reset_peer and timeout faults act; 0 at once", 0, time.Hour)),
		prop("for", duration("How long the fault lasts", 100*time.Millisecond, MaxDuration)),
	)
	s.Required = []string{"at", "do"}
	return s
}

func autoscaleSchema() *jsonSchema {
	threshold := func(what string) *jsonSchema {
		return anyOf(what+" In the signal's unit: a duration for p95, waiting requests for queue_depth, "+
			"a share of one core for cpu (60% or 0.6), the query's own unit for promql.",
			&jsonSchema{Type: "number", ExclusiveMinimum: ptr(0.0)}, &jsonSchema{Type: "string"})
	}
	s := object("A scaling policy: add an instance while the signal stays above a threshold, remove one while below.",
		prop("signal", enum("What the policy watches.", signalNames()...)),
		prop("above", threshold("Scale out while the signal stays above this.")),
		prop("below", threshold("Scale in while the signal stays below this.")),
		prop("for", duration(fmt.Sprintf("How long above lasts before scaling out; default %s", fmtDuration(DefaultScaleOutFor)),
			AutoscaleInterval, MaxDuration)),
		prop("scale_in_for", duration(fmt.Sprintf("How long below lasts before scaling in; default %s", fmtDuration(DefaultScaleInFor)),
			AutoscaleInterval, MaxDuration)),
		prop("cooldown", duration(fmt.Sprintf("The pause after a change; default %s", fmtDuration(DefaultCooldown)), 0, MaxDuration)),
		prop("min_instances", integer("The fewest instances; default the stack's.", 1, 64)),
		prop("max_instances", integer("The most instances.", 1, 64)),
		prop("query", text("With signal: promql, the PromQL expression watched, asked of the run's Prometheus each second, such as avg(rate(process_cpu_seconds_total{job=\"target\"}[30s])).")),
	)
	s.Required = []string{"signal", "above", "max_instances"}
	return s
}

func rampSchema() *jsonSchema {
	s := object("A rate that goes linearly from from to to over the scenario's duration.",
		prop("from", ref("rate", "The rate at the start.")),
		prop("to", ref("rate", "The rate at the end.")),
	)
	s.Required = []string{"from", "to"}
	return s
}

func stageSchema() *jsonSchema {
	s := object("A rate held for a while.",
		prop("rate", ref("rate", "The stage's rate.")),
		prop("duration", duration("How long the stage lasts", 1, MaxDuration)),
	)
	s.Required = []string{"rate", "duration"}
	return s
}

func dataSchema() *jsonSchema {
	s := object("Test data: rows of a CSV or JSON file, a row per user, used as {{row.FIELD}}.",
		prop("file", text("The file, beside the suite: CSV with a header line, or a JSON list of objects.")),
		prop("order", enum("Which row a user takes: its own in turn (sequential), one per user (unique), "+
			"the next each round (circular) or a random one (random).", Orders...)),
	)
	s.Required = []string{"file"}
	return s
}

func abortRuleSchema() *jsonSchema {
	return object("Abort when the error rate stays above error_rate for every second of for.",
		prop("error_rate", ref("percent", "The share of failed requests, e.g. 50%.")),
		prop("for", duration("How long it must last", time.Second, time.Hour)),
	)
}

func limitsSchema() *jsonSchema {
	return object("Caps on how hard a scenario may push, so that a typo never becomes a storm; raise them on purpose.",
		prop("max_rate", ref("rate", fmt.Sprintf("The highest rate a scenario may ask; default %s.", DefaultMaxRate))),
		prop("max_users", integer(fmt.Sprintf("The most users of a scenario; default %d.", DefaultMaxUsers), 1, MaxUsers)),
		prop("max_duration", duration(fmt.Sprintf("The longest warm-up plus duration of a scenario; default %s", fmtDuration(DefaultMaxDuration)),
			time.Second, MaxDuration)),
	)
}

func sessionSchema() *jsonSchema {
	source := func(description string) *jsonSchema {
		return anyOf(description+" header:NAME or json:FIELD; empty turns the check off.",
			&jsonSchema{Type: "string", Pattern: "^(header:" + strings.Trim(headerNamePattern, "^$") + "|json:.+)?$"},
			&jsonSchema{Type: "null"}, envRef())
	}
	return object("Where answers name the data set of a user's session, to prove sessions are kept (docs/sessions.md).",
		prop("upload_id", source("Where a capture step's answer names the new data set.")),
		prop("upload_checksum", source("Where a capture step's answer gives the new data set's checksum.")),
		prop("id", source("Where a session-checked answer names the data set it served.")),
		prop("checksum", source("Where a session-checked answer gives that data set's checksum.")),
		prop("instance_header", ref("headerName", "The header naming the instance that answered.")),
		prop("worker_header", ref("headerName", "The header naming the worker that answered.")),
		prop("version_header", ref("headerName", "The header in which the service says its version; the report names the versions that answered.")),
	)
}

// stackKey says what one StackShape key holds, beyond its Go type.
type stackKey struct {
	description string
	lo, hi      int      // an integer's range
	choices     []string // a string's values
}

// stackKeys describes the keys of loadharness.StackShape as the parser
// reads them, through their yaml tags; a test fails for a tag missing here.
var stackKeys = map[string]stackKey{
	"instances": {description: "Copies of the target behind the balancer.", lo: 1, hi: 64},
	"workers":   {description: "Worker processes of each instance.", lo: 1, hi: 64},
	"threads":   {description: "Requests each worker serves at once.", lo: 1, hi: 4096},
	"session_store": {description: "Where sessions live: the shared Redis, or one worker's memory.",
		choices: []string{loadharness.SessionStoreRedis, loadharness.SessionStoreMemory}},
	"dataset_store": {description: "Where an uploaded data set lives: its own Redis key, inside the session, or the instance's disk.",
		choices: []string{loadharness.DatasetStoreRedis, loadharness.DatasetStoreSession, loadharness.DatasetStoreFile}},
	"queue":             {description: "Requests that may wait for a thread in each worker before a 503; 0 for the target's default.", lo: 0, hi: math.MaxInt32},
	"map_cost":          {description: "A multiplier of the CPU work of rendering a map; 0 for the default.", lo: math.MinInt32, hi: math.MaxInt32},
	"redis_persistence": {description: "Redis persistence: none or aof (append-only file).", choices: []string{"none", "aof"}},
	"request_timeout":   {description: "The bound on each request inside the target; 0 for its default"},
	"balancer": {description: "The balancer in front of the instances: builtin (target lb) or haproxy (a real HAProxy with the same health checks).",
		choices: []string{loadharness.BalancerBuiltin, loadharness.BalancerHAProxy}},
	"prometheus": {description: "Bring up a real Prometheus that scrapes every target worker; PromQL gates and the target's counters are read from it."},
}

// stackSchema lists StackShape's keys as the parser finds them: by their
// yaml tags, typed by their Go kinds.
func stackSchema() *jsonSchema {
	s := object(fmt.Sprintf("The stack loadtest brings up; keys not given keep their defaults (%d instances × %d workers × %d threads, "+
		"sessions and data sets in Redis).", loadharness.DefaultStackShape.Instances, loadharness.DefaultStackShape.Workers,
		loadharness.DefaultStackShape.Threads))
	rt := reflect.TypeFor[loadharness.StackShape]()
	for i := range rt.NumField() {
		f := rt.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		k := stackKeys[tag]
		var v *jsonSchema
		switch {
		case f.Type == durationType:
			v = duration(k.description, 0, 24*time.Hour)
		case f.Type.Kind() == reflect.Int:
			v = integer(k.description, k.lo, k.hi)
		case f.Type.Kind() == reflect.Bool:
			v = boolean(k.description)
		case len(k.choices) > 0:
			v = enum(k.description, k.choices...)
		default:
			v = text(k.description)
		}
		s.Properties = append(s.Properties, prop(tag, v))
	}
	return s
}

// text is a scalar the parser reads as text.
func text(description string) *jsonSchema {
	return &jsonSchema{Description: description, Type: scalarTypes}
}

// integer is a whole number in lo..hi, or ${NAME}.
func integer(description string, lo, hi int) *jsonSchema {
	return anyOf(description, &jsonSchema{Type: "integer", Minimum: ptr(float64(lo)), Maximum: ptr(float64(hi))}, envRef())
}

// boolean is true or false, or ${NAME}.
func boolean(description string) *jsonSchema {
	return anyOf(description, &jsonSchema{Type: "boolean"}, envRef())
}

// enum is one of choices, or ${NAME}.
func enum(description string, choices ...string) *jsonSchema {
	return anyOf(description, &jsonSchema{Enum: anySlice(choices)}, envRef())
}

// duration is a duration in lo..hi; the range is said, since a pattern
// cannot check it.
func duration(description string, lo, hi time.Duration) *jsonSchema {
	return ref("duration", fmt.Sprintf("%s: a duration such as 30s or 1m30s, %s..%s.", description, fmtDuration(lo), fmtDuration(hi)))
}

// durationSchema is a Go duration (time.ParseDuration): 0, or numbers with
// units ns, us, ms, s, m and h.
func durationSchema() *jsonSchema {
	return anyOf("A duration such as 500ms, 30s or 1m30s.",
		&jsonSchema{Type: "string", Pattern: `^(0|\+?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`},
		&jsonSchema{Enum: []any{0}}, envRef())
}

// rateSchema is a rate as ParseRate reads it.
func rateSchema() *jsonSchema {
	return anyOf(fmt.Sprintf("Requests a second (150), or per unit (150/s, 600/m, 600/min, 36000/h); at most %s.", MaxRate),
		&jsonSchema{Type: "number", ExclusiveMinimum: ptr(0.0), Maximum: ptr(float64(MaxRate))},
		&jsonSchema{Type: "string", Pattern: `^\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*(/\s*(s|sec|m|min|h)\s*)?$`},
		envRef())
}

// fieldMap is a mapping of field names (not empty) to text values.
func fieldMap(description string) *jsonSchema {
	return &jsonSchema{Description: description, Type: "object",
		PatternProperties: schemaList{{".", text("")}}, AdditionalProperties: false}
}

// envRef takes ${NAME}: the parser substitutes the environment before it
// reads a value, so users: ${USERS} is a number once read.
func envRef() *jsonSchema { return &jsonSchema{Ref: "#/$defs/env"} }

// anyCase is a pattern that matches any of words whatever their case, as
// the parser reads them; JSON Schema patterns have no flags.
func anyCase(words ...string) string {
	alternatives := make([]string, len(words))
	for i, w := range words {
		var b strings.Builder
		for _, r := range w {
			lower, upper := strings.ToLower(string(r)), strings.ToUpper(string(r))
			if lower == upper {
				b.WriteString(lower)
				continue
			}
			b.WriteString("[" + lower + upper + "]")
		}
		alternatives[i] = b.String()
	}
	return "^(" + strings.Join(alternatives, "|") + ")$"
}

func signalNames() []string {
	out := make([]string, len(Signals))
	for i, s := range Signals {
		out[i] = string(s)
	}
	return out
}

func anySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
