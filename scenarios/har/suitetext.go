package har

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// suiteText is what the suite file says.
type suiteText struct {
	name, source string
	creator      Creator
	origin       string
	total        int // requests in the recording
	think        time.Duration
	steps        []*step
	carried      []*token
	warnings     []string
}

// The suite's fixed parts. The stack is the smallest the parser accepts: a
// suite run with --provider external brings none up.
var (
	stackShape = [][2]string{
		{"instances", "1"}, {"workers", "1"}, {"threads", "4"},
		{"session_store", "redis"}, {"dataset_store", "redis"},
	}
	suiteGates = []string{"p95 < 2s", "error_rate < 1%"}
)

const (
	scenarioName     = "recorded"
	scenarioDuration = "30s"
)

// writeSuite writes the suite as YAML, through yaml.v3's encoder so that
// every recorded value is quoted as it must be.
func writeSuite(s suiteText) (text []byte, err error) {
	// yaml.v3's emitter panics on what it cannot write; Convert checks what
	// it writes, and this keeps a miss an error, never a crash.
	defer func() {
		if r := recover(); r != nil {
			text, err = nil, fmt.Errorf("write suite: %v", r)
		}
	}()
	steps := seq(false)
	for _, st := range s.steps {
		steps.Content = append(steps.Content, stepNode(st))
	}
	stack := mapping(true)
	for _, kv := range stackShape {
		add(stack, kv[0], plain(kv[1]))
	}
	gates := seq(false)
	for _, g := range suiteGates {
		gates.Content = append(gates.Content, str(g))
	}
	sc := mapping(false)
	add(sc, "name", str(scenarioName))
	add(sc, "users", plain("1"))
	add(sc, "duration", plain(scenarioDuration))
	add(sc, "think", plain(s.think.String()))
	add(sc, "steps", steps)

	root := mapping(false)
	add(root, "name", str(s.name))
	add(root, "description", str(fmt.Sprintf("A browser session recorded on %s, replayed in order by one user.", s.origin)))
	add(root, "stack", stack)
	add(root, "gates", gates)
	add(root, "scenarios", &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{sc}})
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: headComment(s), Content: []*yaml.Node{root}}

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("write suite: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write suite: %w", err)
	}
	return buf.Bytes(), nil
}

// headComment says where the suite came from, how to run it, what was
// carried and what to check.
func headComment(s suiteText) string {
	from := "a HAR file"
	if s.source != "" {
		from = s.source
	}
	if s.creator.Name != "" {
		from += " (" + strings.TrimSpace(s.creator.Name+" "+s.creator.Version) + ")"
	}
	lines := []string{
		"Imported by `loadtest import-har` from " + from + ":",
		fmt.Sprintf("a browser session on %s, %d of its %d requests.", s.origin, len(s.steps), s.total),
		"Run it against that service, or a copy of it:",
		"  loadtest run --suite THIS_FILE --provider external --target " + s.origin,
	}
	if len(s.carried) > 0 {
		var cs []string
		for _, tk := range s.carried {
			cs = append(cs, tk.name+" (from "+tk.from.name+")")
		}
		lines = append(lines, "Values carried from a response to later requests: "+strings.Join(cs, ", ")+".")
	}
	if len(s.warnings) > 0 {
		lines = append(lines, "Check by hand:")
		for _, w := range s.warnings {
			lines = append(lines, "  "+w)
		}
	}
	for i, l := range lines {
		lines[i] = strings.TrimRight("# "+commentText(l), " ")
	}
	return strings.Join(lines, "\n")
}

// commentText makes s fit on a comment line: valid UTF-8, printable.
func commentText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
}

// stepNode writes one step.
func stepNode(st *step) *yaml.Node {
	n := mapping(false)
	add(n, "name", str(st.name))
	add(n, "method", str(st.method))
	add(n, "path", str(st.path))
	if len(st.headers) > 0 {
		add(n, "headers", fields(st.headers))
	}
	switch {
	case st.form != nil:
		add(n, "form", fields(st.form))
	case st.body != nil:
		add(n, "body", str(*st.body))
	}
	if len(st.extract) > 0 {
		ex := mapping(false)
		for _, e := range st.extract {
			src := mapping(true)
			add(src, e.kind, str(e.arg))
			add(ex, e.name, src)
		}
		add(n, "extract", ex)
	}
	if len(st.status) > 0 {
		codes := seq(true)
		for _, c := range st.status {
			codes.Content = append(codes.Content, plain(strconv.Itoa(c)))
		}
		expect := mapping(true)
		add(expect, "status", codes)
		add(n, "expect", expect)
	}
	return n
}

func fields(fs []field) *yaml.Node {
	n := mapping(false)
	for _, f := range fs {
		add(n, f.name, str(f.value))
	}
	return n
}

func mapping(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func seq(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, str(key), v)
}

// str is a string, quoted when it would read as anything else.
func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// plain is a number or duration, written as is.
func plain(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s}
}
