package suite

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"loadharness"
)

// parserTables names, for every mapping the parser reads (by the text it
// calls the mapping in messages, or by its function when that text is
// built), the definition of the suite schema that describes it; "" is the
// schema's root. A mapping the parser gains must be added here and to
// schema.go, or TestSchemaKnowsEveryKeyTheParserReads fails.
var parserTables = map[string]string{
	"the suite":   "",
	"stack":       "stack",
	"session":     "session",
	"abort":       "abortRule",
	"limits":      "limits",
	"tls":         "tls",
	"scenario":    "scenario",
	"ramp":        "ramp",
	"a stage":     "stage",
	"step":        "step",
	"upload":      "upload",
	"expect":      "expect",
	"extractions": "extraction",
	"a check":     "check",
	"body_size":   "bodySize",
	"an action":   "action",
	"autoscale":   "autoscale",
	"recovery":    "recovery",
	"data":        "data",
}

// parserTable is the keys one w.mapping call accepts.
type parserTable struct {
	where string // file:line, for messages
	keys  []string
	// reflected: the keys are StackShape's yaml tags, found at run time.
	reflected bool
}

func TestSchemaKnowsEveryKeyTheParserReads(t *testing.T) {
	tables := mustParserTables(t)
	root := suiteSchema()
	for name, table := range tables {
		def, known := parserTables[name]
		if !known {
			t.Errorf("%s: the parser reads a mapping %q this test does not know: describe it in schema.go and map it in parserTables",
				table.where, name)
			continue
		}
		keys := table.keys
		if table.reflected {
			keys = stackShapeKeys()
		}
		obj := root
		if def != "" {
			obj = root.Defs.get(def)
		}
		if obj == nil {
			t.Errorf("the schema has no definition %q for the parser's %q", def, name)
			continue
		}
		got := obj.Properties.names()
		for _, k := range keys {
			if !slices.Contains(got, k) {
				t.Errorf("%s: the parser's %q accepts %q; the schema's %q does not name it", table.where, name, k, defName(def))
			}
		}
		for _, k := range got {
			if !slices.Contains(keys, k) {
				t.Errorf("the schema's %q names %q, which the parser's %q (%s) refuses", defName(def), k, name, table.where)
			}
		}
	}
	for name := range parserTables {
		if _, ok := tables[name]; !ok {
			t.Errorf("parserTables maps %q, which no w.mapping call in the parser reads any more", name)
		}
	}
}

func defName(def string) string {
	if def == "" {
		return "(root)"
	}
	return def
}

// stackShapeKeys are the keys the parser finds on loadharness.StackShape,
// by the same rule as walker.stack: every yaml tag but "" and "-".
func stackShapeKeys() []string {
	var keys []string
	rt := reflect.TypeFor[loadharness.StackShape]()
	for i := range rt.NumField() {
		if tag, _, _ := strings.Cut(rt.Field(i).Tag.Get("yaml"), ","); tag != "" && tag != "-" {
			keys = append(keys, tag)
		}
	}
	return keys
}

// mustParserTables reads the parser's source and returns the keys of every
// w.mapping(node, what, fields) call, by what (a string literal) or, when
// what is built at run time, by the enclosing function's name. fields may
// be a []field literal, an append of those and of w.method() calls that
// return one, or, for the stack, a list built by reflection.
func mustParserTables(t *testing.T) map[string]parserTable {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	src := &parserSource{consts: map[string]string{}, funcs: map[string]*ast.FuncDecl{}}
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		src.collect(f)
	}
	tables := map[string]parserTable{}
	for _, f := range parsed {
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || !isWalkerCall(call, "mapping") || len(call.Args) != 3 {
					return true
				}
				where := fset.Position(call.Pos()).String()
				name := fn.Name.Name
				if lit, ok := call.Args[1].(*ast.BasicLit); ok {
					name, _ = strconv.Unquote(lit.Value)
				}
				if _, dup := tables[name]; dup {
					t.Errorf("%s: a second mapping called %q: give parserTables a way to tell them apart", where, name)
				}
				table := parserTable{where: where}
				if _, ok := call.Args[2].(*ast.Ident); ok && name == "stack" {
					table.reflected = true // built from StackShape's yaml tags (walker.stack)
				} else {
					keys, err := src.fieldNames(call.Args[2])
					if err != nil {
						t.Errorf("%s: %v", where, err)
					}
					table.keys = keys
				}
				tables[name] = table
				return true
			})
		}
	}
	if len(tables) < 10 {
		t.Fatalf("found %d mapping tables in the parser's source: this test no longer reads it right", len(tables))
	}
	return tables
}

// parserSource is what fieldNames needs of the package: its string
// constants and its functions.
type parserSource struct {
	consts map[string]string
	funcs  map[string]*ast.FuncDecl
}

func (src *parserSource) collect(f *ast.File) {
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			src.funcs[d.Name.Name] = d
		case *ast.GenDecl:
			if d.Tok != token.CONST {
				continue
			}
			for _, spec := range d.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							src.consts[name.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
}

// fieldNames returns the keys of a []field expression.
func (src *parserSource) fieldNames(e ast.Expr) ([]string, error) {
	switch x := e.(type) {
	case *ast.CompositeLit:
		var names []string
		for _, elt := range x.Elts {
			f, ok := elt.(*ast.CompositeLit)
			if !ok || len(f.Elts) != 2 {
				return nil, errors.New("a field that is not {name, handler}")
			}
			name, err := src.stringOf(f.Elts[0])
			if err != nil {
				return nil, err
			}
			names = append(names, name)
		}
		return names, nil
	case *ast.CallExpr:
		if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "append" {
			var names []string
			for _, arg := range x.Args {
				more, err := src.fieldNames(arg)
				if err != nil {
					return nil, err
				}
				names = append(names, more...)
			}
			return names, nil
		}
		if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
			return src.returnedFields(sel.Sel.Name)
		}
	}
	return nil, fmt.Errorf("cannot read the keys of %T: teach mustParserTables", e)
}

// returnedFields returns the keys of the []field literal function name
// returns.
func (src *parserSource) returnedFields(name string) ([]string, error) {
	fn, ok := src.funcs[name]
	if !ok {
		return nil, fmt.Errorf("no function %s", name)
	}
	var names []string
	var err error
	found := false
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		ret, ok := n.(*ast.ReturnStmt)
		if !ok || len(ret.Results) != 1 || found {
			return true
		}
		if lit, ok := ret.Results[0].(*ast.CompositeLit); ok {
			found = true
			names, err = src.fieldNames(lit)
		}
		return true
	})
	if !found {
		return nil, fmt.Errorf("%s returns no []field literal", name)
	}
	return names, err
}

// stringOf is the value of a string literal or string constant.
func (src *parserSource) stringOf(e ast.Expr) (string, error) {
	switch x := e.(type) {
	case *ast.BasicLit:
		return strconv.Unquote(x.Value)
	case *ast.Ident:
		if v, ok := src.consts[x.Name]; ok {
			return v, nil
		}
	}
	return "", errors.New("a key that is neither a string literal nor a string constant")
}

// isWalkerCall reports whether call is w.method(...).
func isWalkerCall(call *ast.CallExpr, method string) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != method {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == "w"
}

// probeSuite has every level of a suite file, each where the parser reads
// it, and parses without a problem; probeLevels says where each is.
const probeSuite = `name: probe
description: every level
stack: {instances: 2}
session: {id: "header:X-Dataset-Id"}
gates: [p95 < 2s]
abort: {error_rate: 50%, for: 10s}
limits: {max_rate: 100/s}
tls: {insecure_skip_verify: false}
scenarios:
  - name: closed
    users: 2
    duration: 10s
    pick: weighted
    data: {file: people.csv}
    steps:
      - name: first
        path: /a
        weight: 1
        expect: {status: 200}
        extract:
          token: {json: token}
        checks:
          - {json: status, equals: ok}
          - {body_size: {min: 1}}
      - name: second
        path: /b
        weight: 1
        upload: {rows: 10}
    actions:
      - {at: 1s, do: kill-instance, instance: 1}
    autoscale: {signal: cpu, above: 60%, max_instances: 3}
    recovery: {p95: 1s}
  - name: ramped
    users: 2
    duration: 10s
    ramp: {from: 1/s, to: 2/s}
    steps: [map]
  - name: staged
    users: 2
    stages:
      - {rate: 1/s, duration: 5s}
    steps: [map]
`

// probeLevels lists where each definition of the schema sits in
// probeSuite, as a path of keys and list indexes.
var probeLevels = []struct {
	def  string
	path []string
}{
	{"", nil},
	{"stack", []string{"stack"}},
	{"session", []string{"session"}},
	{"abortRule", []string{"abort"}},
	{"limits", []string{"limits"}},
	{"tls", []string{"tls"}},
	{"scenario", []string{"scenarios", "0"}},
	{"step", []string{"scenarios", "0", "steps", "0"}},
	{"upload", []string{"scenarios", "0", "steps", "1", "upload"}},
	{"expect", []string{"scenarios", "0", "steps", "0", "expect"}},
	{"extraction", []string{"scenarios", "0", "steps", "0", "extract", "token"}},
	{"check", []string{"scenarios", "0", "steps", "0", "checks", "0"}},
	{"bodySize", []string{"scenarios", "0", "steps", "0", "checks", "1", "body_size"}},
	{"action", []string{"scenarios", "0", "actions", "0"}},
	{"autoscale", []string{"scenarios", "0", "autoscale"}},
	{"recovery", []string{"scenarios", "0", "recovery"}},
	{"data", []string{"scenarios", "0", "data"}},
	{"ramp", []string{"scenarios", "1", "ramp"}},
	{"stage", []string{"scenarios", "2", "stages", "0"}},
}

// TestSchemaKeysAreWhereTheParserReadsThem feeds the parser every key the
// schema names, at the place the schema puts it: each must be accepted
// there, and a key the schema does not name refused, so the schema's
// levels are the parser's.
func TestSchemaKeysAreWhereTheParserReadsThem(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "people.csv"), []byte("email\na@example.com\nb@example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "probe.yaml")
	if _, err := Parse(file, []byte(probeSuite)); err != nil {
		t.Fatalf("the probe suite does not parse: %v", err)
	}
	root := suiteSchema()
	covered := map[string]bool{}
	for _, level := range probeLevels {
		covered[level.def] = true
		t.Run(defName(level.def), func(t *testing.T) {
			def, obj, err := schemaAt(root, level.path)
			if err != nil || def != level.def {
				t.Fatalf("the schema at %v is %q (%v), want %q", level.path, def, err, level.def)
			}
			for _, key := range obj.Properties.names() {
				if msgs := unknownKeys(t, file, level.path, key); len(msgs) > 0 {
					t.Errorf("at %v the parser refuses %q, which the schema names: %s", level.path, key, msgs[0])
				}
			}
			if msgs := unknownKeys(t, file, level.path, "zz_not_a_key"); len(msgs) == 0 {
				t.Errorf("at %v the parser accepts a key it cannot know: the probe is not where the parser reads", level.path)
			}
		})
	}
	for _, e := range root.Defs {
		if e.schema.Type == "object" && !covered[e.name] {
			t.Errorf("the schema's object %q has no place in probeLevels", e.name)
		}
	}
}

// unknownKeys adds key, empty, to the mapping at path in probeSuite and
// returns the parser's "unknown field" messages about it.
func unknownKeys(t *testing.T, file string, path []string, key string) []string {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(probeSuite), &doc); err != nil {
		t.Fatal(err)
	}
	n := doc.Content[0]
	for _, tok := range path {
		n = yamlChild(t, n, tok)
	}
	if n.Kind != yaml.MappingNode {
		t.Fatalf("%v is not a mapping in the probe suite", path)
	}
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return nil // the probe suite has it, and parses
		}
	}
	n.Content = append(n.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"})
	data, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(file, data)
	var se *SuiteError
	if !errors.As(err, &se) {
		return nil
	}
	var msgs []string
	for _, p := range se.Problems {
		if strings.Contains(p.Msg, "unknown field "+strconv.Quote(key)) {
			msgs = append(msgs, p.Msg)
		}
	}
	return msgs
}

// yamlChild returns the value under key tok of a mapping, or item tok of a
// list.
func yamlChild(t *testing.T, n *yaml.Node, tok string) *yaml.Node {
	t.Helper()
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == tok {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(tok); err == nil && i < len(n.Content) {
			return n.Content[i]
		}
	}
	t.Fatalf("the probe suite has no %q here", tok)
	return nil
}

// schemaAt follows path (keys and list indexes) from the root through
// properties, items, references and alternatives, and returns the object
// definition it ends at ("" for the root).
func schemaAt(root *jsonSchema, path []string) (string, *jsonSchema, error) {
	type candidate struct {
		def string
		s   *jsonSchema
	}
	var expand func(c candidate) []candidate
	expand = func(c candidate) []candidate {
		if def, ok := strings.CutPrefix(c.s.Ref, "#/$defs/"); ok {
			return expand(candidate{def, root.Defs.get(def)})
		}
		if len(c.s.AnyOf) > 0 {
			var out []candidate
			for _, alt := range c.s.AnyOf {
				out = append(out, expand(candidate{c.def, alt})...)
			}
			return out
		}
		return []candidate{c}
	}
	current := []candidate{{"", root}}
	for _, tok := range path {
		var next []candidate
		for _, c := range current {
			if p := c.s.Properties.get(tok); p != nil {
				next = append(next, expand(candidate{c.def, p})...)
				continue
			}
			for _, pp := range c.s.PatternProperties {
				if regexp.MustCompile(pp.name).MatchString(tok) {
					next = append(next, expand(candidate{c.def, pp.schema})...)
				}
			}
			if _, err := strconv.Atoi(tok); err == nil && c.s.Items != nil {
				next = append(next, expand(candidate{c.def, c.s.Items})...)
			}
		}
		current = next
	}
	var objects []candidate
	for _, c := range current {
		if len(c.s.Properties) > 0 {
			objects = append(objects, c)
		}
	}
	if len(objects) != 1 {
		return "", nil, fmt.Errorf("the path ends at %d objects, not one", len(objects))
	}
	return objects[0].def, objects[0].s, nil
}
