package loadharness

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// GateError is a problem in a gate's text, located at a 1-based column
// counted in runes, so an editor or a caret under the text points at it.
type GateError struct {
	Column int
	Msg    string
}

// Error returns "column N: message".
func (e *GateError) Error() string { return fmt.Sprintf("column %d: %s", e.Column, e.Msg) }

// opsHint lists the operators, for error messages.
const opsHint = "want <, <=, >, >=, == or !="

// ParseGate parses a gate written as
//
//	METRIC [ "{" SELECTOR { "," SELECTOR } "}" ] OP NUMBER [UNIT]
//	SELECTOR = "step" ":" NAME | "phase" ":" ( "setup" | "warmup" | "main" )
//
// or, on a PromQL expression,
//
//	"promql" "(" STRING ")" OP [ "-" ] NUMBER [ "%" ]
//	STRING = a Go string in double quotes (strconv.Unquote's rules)
//	       | a raw string in back quotes (no escapes, up to the next back quote)
//
// for example "p95 < 2s", "p(99.9){step:map} <= 1500ms", "error_rate < 0.1%",
// "throughput >= 100/s", "sessions_lost == 0" or
// "promql(`avg(rate(process_cpu_seconds_total[30s]))`) < 0.6". Whitespace
// between tokens does not matter. The metric's kind decides the units the
// threshold may carry: latencies need one of ns, us, µs, ms, s or m; ratios
// take % or a bare fraction; rates take /s, /m, rps or nothing; counts a
// bare whole number; a PromQL value a bare number, negative or not, or %
// for hundredths. A promql gate takes no selector: it is judged over each
// scenario's main phase, and picks its series with the expression's own
// label matchers. Only the string's form is checked here; its PromQL
// syntax is checked by a PromQL parser (see PromQLColumn). Any problem is
// a *GateError with its column.
func ParseGate(text string) (Gate, error) {
	p := gateParser{src: []rune(text)}
	g, err := p.gate()
	if err != nil {
		return Gate{}, err
	}
	g.Source = text
	return g, nil
}

// ParseGates parses every text and reports every problem at once, each
// wrapped with the gate's text, so a suite with three bad gates is fixed in
// one go. The gates that parsed are returned even when others did not.
func ParseGates(texts []string) ([]Gate, error) {
	gates := make([]Gate, 0, len(texts))
	var errs []error
	for _, text := range texts {
		g, err := ParseGate(text)
		if err != nil {
			errs = append(errs, fmt.Errorf("gate %q: %w", text, err))
			continue
		}
		gates = append(gates, g)
	}
	return gates, errors.Join(errs...)
}

// gateParser reads one gate; pos indexes src, a rune slice, so that columns
// count characters rather than bytes.
type gateParser struct {
	src []rune
	pos int
}

func (p *gateParser) gate() (Gate, error) {
	var g Gate
	var err error
	p.skipSpace()
	if g.Metric, err = p.metric(); err != nil {
		return Gate{}, err
	}
	p.skipSpace()
	if p.peek() == '{' && g.Metric.FromPrometheus() {
		return Gate{}, p.fail(p.pos, "a promql gate takes no {step:...} or {phase:...}: it is judged over each scenario's main phase, "+
			"and Prometheus knows nothing of steps; pick series with label matchers inside the expression")
	}
	if p.peek() == '{' {
		if g.Step, g.Phase, err = p.selectors(g.Metric); err != nil {
			return Gate{}, err
		}
		p.skipSpace()
	}
	if g.Op, err = p.op(g.subject()); err != nil {
		return Gate{}, err
	}
	p.skipSpace()
	if g.Threshold, err = p.threshold(g.Metric, g.Op); err != nil {
		return Gate{}, err
	}
	return g, nil
}

// metric reads a metric name: a known name, pNN, p(NN.N), raw_ before any of
// the latency ones, or target:NAME.
func (p *gateParser) metric() (Metric, error) {
	start := p.pos
	if p.eof() {
		return Metric{}, p.fail(start, "missing metric (write a gate such as p95 < 2s)")
	}
	word := p.take(isMetricRune)
	if word == "" {
		return Metric{}, p.fail(start, "expected a metric, found %q (%s)", p.token(), knownMetricsHint)
	}
	save := p.pos
	p.skipSpace()
	switch {
	case word == "target" && p.peek() == ':':
		p.pos++
		p.skipSpace()
		nameAt := p.pos
		name := p.take(isPromRune)
		if name == "" || unicode.IsDigit([]rune(name)[0]) {
			return Metric{}, p.fail(nameAt, "target: needs a Prometheus metric name, e.g. target:http_requests_total")
		}
		return Metric{Name: targetPrefix + name, Kind: KindCount}, nil
	case (word == "p" || word == rawPrefix+"p") && p.peek() == '(':
		return p.parenQuantile(word == rawPrefix+"p")
	case word == promQLWord:
		if p.peek() != '(' {
			return Metric{}, p.fail(p.pos, "promql needs its expression in parentheses, as a string: promql(`rate(x[1m])`)")
		}
		return p.promQL()
	}
	p.pos = save
	return lookupMetric(word, start)
}

// parenQuantile reads "(NN.N)" after p or raw_p.
func (p *gateParser) parenQuantile(raw bool) (Metric, error) {
	p.pos++ // (
	p.skipSpace()
	at := p.pos
	tok := p.take(isNumberRune)
	if tok == "" {
		return Metric{}, p.fail(at, "missing quantile in p(...), e.g. p(99.9)")
	}
	q, err := strconv.ParseFloat(tok, 64)
	if err != nil {
		return Metric{}, p.fail(at, "bad quantile %q, e.g. p(99.9)", tok)
	}
	if !(q > 0 && q <= 100) {
		return Metric{}, p.fail(at, "quantile %s out of range (want 0 < q <= 100)", tok)
	}
	p.skipSpace()
	if p.peek() != ')' {
		return Metric{}, p.fail(p.pos, "missing ) after quantile %s", tok)
	}
	p.pos++
	return quantileMetric(q, raw), nil
}

// promQL reads "(STRING)" after promql.
func (p *gateParser) promQL() (Metric, error) {
	p.pos++ // (
	p.skipSpace()
	at := p.pos
	expr, _, err := p.stringLiteral()
	if err != nil {
		return Metric{}, err
	}
	if strings.TrimSpace(expr) == "" {
		return Metric{}, p.fail(at, "empty PromQL expression in promql(...)")
	}
	p.skipSpace()
	if p.peek() != ')' {
		return Metric{}, p.fail(p.pos, "missing ) after the PromQL expression")
	}
	p.pos++
	return promQLMetric(expr), nil
}

// stringLiteral reads a string in double quotes (strconv.Unquote's rules)
// or in back quotes (verbatim up to the next back quote) and returns its
// value and, for each byte of the value and one past its end, the position
// in src it was written at: the start of its escape, or the closing quote.
func (p *gateParser) stringLiteral() (string, []int, error) {
	open := p.pos
	quote := p.peek()
	if quote != '"' && quote != '`' {
		return "", nil, p.fail(open, "promql(...) takes its expression as a quoted string: "+
			"promql(`rate(x[1m])`) or promql(\"rate(x[1m])\")")
	}
	end := open + 1 // the closing quote, once found
	for ; end < len(p.src) && p.src[end] != quote; end++ {
		if quote == '"' && p.src[end] == '\\' {
			end++ // an escaped rune never closes the string
		}
	}
	if end >= len(p.src) {
		return "", nil, p.fail(open, "unterminated string: no closing %c", quote)
	}
	var value []byte
	var at []int
	for i := open + 1; i < end; {
		from := len(value)
		if quote == '`' {
			value = utf8.AppendRune(value, p.src[i])
			for range len(value) - from {
				at = append(at, i)
			}
			i++
			continue
		}
		if p.src[i] == '\n' {
			return "", nil, p.fail(i, "newline in a \"...\" string: write \\n, or use back quotes")
		}
		// UnquoteChar reads one rune or escape; what it leaves says how many
		// runes it took.
		rest := string(p.src[i:end])
		r, multibyte, tail, err := strconv.UnquoteChar(rest, '"')
		if err != nil {
			return "", nil, p.fail(i, "bad escape %s in a \"...\" string (Go's rules: \\\\ is a backslash; or use back quotes)", escapeText(rest))
		}
		if r < utf8.RuneSelf || !multibyte {
			value = append(value, byte(r)) // \xNN and octal escapes are bytes
		} else {
			value = utf8.AppendRune(value, r)
		}
		for range len(value) - from {
			at = append(at, i)
		}
		i += utf8.RuneCountInString(rest) - utf8.RuneCountInString(tail)
	}
	p.pos = end + 1
	return string(value), append(at, end), nil
}

// escapeText is the escape at the start of s, for messages: the backslash
// and the rune after it.
func escapeText(s string) string {
	r := []rune(s)
	return string(r[:min(len(r), 2)])
}

// PromQLColumn returns the 1-based column, in the text of a promql gate, of
// the character that byte offset of its expression (Metric.PromQL) was
// written as, escapes and multibyte runes counted as they were written, so
// that a PromQL parser's error inside the expression points at its place in
// a suite file. An offset past the end is the closing quote's column, a
// negative one the first character's. ok is false when text is not a
// promql gate that parses.
func PromQLColumn(text string, offset int) (column int, ok bool) {
	g, err := ParseGate(text)
	if err != nil || !g.Metric.FromPrometheus() {
		return 0, false
	}
	p := gateParser{src: []rune(text)}
	p.skipSpace()
	p.take(isMetricRune) // promql
	p.skipSpace()
	p.pos++ // (
	p.skipSpace()
	_, at, err := p.stringLiteral()
	if err != nil {
		return 0, false // unreachable: text parsed
	}
	return at[min(max(offset, 0), len(at)-1)] + 1, true
}

// lookupMetric resolves a metric word that is not p(...) or target:NAME.
func lookupMetric(word string, col int) (Metric, error) {
	base, raw := strings.CutPrefix(word, rawPrefix)
	if m, ok := namedMetrics[base]; ok {
		if raw && m.Kind != KindLatency {
			return Metric{}, failAt(col, "raw_ applies to latency metrics only, not %s", base)
		}
		if raw && m.FromEvents() {
			return Metric{}, failAt(col, "raw_ applies to request latencies only, not %s", base)
		}
		if raw {
			m.Name, m.Raw = word, true
		}
		return m, nil
	}
	if digits, ok := strings.CutPrefix(base, "p"); ok && isDecimal(digits) {
		q, err := strconv.ParseFloat(digits, 64)
		if err != nil || !(q > 0 && q <= 100) {
			msg := fmt.Sprintf("quantile %s out of range (want 0 < q <= 100, e.g. p95 or p99.9)", word)
			if s := suggestMetric(word); s != "" {
				msg += "; did you mean " + s + "?"
			}
			return Metric{}, failAt(col, "%s", msg)
		}
		return quantileMetric(q, raw), nil
	}
	msg := fmt.Sprintf("unknown metric %q", word)
	if s := suggestMetric(word); s != "" {
		msg += ": did you mean " + s + "?"
	}
	return Metric{}, failAt(col, "%s (%s)", msg, knownMetricsHint)
}

// quantileMetric names a latency quantile canonically: p(99.9) and p99.90
// are both "p99.9".
func quantileMetric(q float64, raw bool) Metric {
	m := Metric{Name: "p" + formatNumber(q), Kind: KindLatency, Quantile: q, Raw: raw}
	if raw {
		m.Name = rawPrefix + m.Name
	}
	return m
}

// selectorsHint says what may stand between the braces.
const selectorsHint = "want {step:NAME}, {phase:setup|warmup|main} or both, comma-separated"

// selectors reads "{KEY:VALUE[,KEY:VALUE]}" with the keys step and phase.
func (p *gateParser) selectors(m Metric) (step string, phase Phase, err error) {
	open := p.pos
	p.pos++ // {
	seen := map[string]bool{}
	for {
		p.skipSpace()
		keyAt := p.pos
		key := p.take(isMetricRune)
		switch {
		case key == "":
			return "", 0, p.fail(keyAt, "missing selector in {...} (%s)", selectorsHint)
		case key != "step" && key != "phase":
			return "", 0, p.fail(keyAt, "unknown selector %q (%s)", key, selectorsHint)
		case seen[key]:
			return "", 0, p.fail(keyAt, "selector %s given twice", key)
		}
		seen[key] = true
		p.skipSpace()
		if p.peek() != ':' {
			return "", 0, p.fail(p.pos, "missing : after %s (%s)", key, selectorsHint)
		}
		p.pos++
		p.skipSpace()
		valueAt := p.pos
		value := p.take(isStepRune)
		if value == "" {
			return "", 0, p.fail(valueAt, "missing %s name (%s)", key, selectorsHint)
		}
		if key == "step" {
			step = value
		} else {
			ph, ok := ParsePhase(value)
			if !ok {
				return "", 0, p.fail(valueAt, "unknown phase %q (want setup, warmup or main)", value)
			}
			phase = ph
		}
		p.skipSpace()
		if p.peek() == ',' {
			p.pos++
			continue
		}
		if p.peek() != '}' {
			return "", 0, p.fail(p.pos, "missing } after %s %q", key, value)
		}
		p.pos++
		break
	}
	if m.FromTarget() {
		return "", 0, p.fail(open, "%s is scraped from the target and has no steps or phases", m.Name)
	}
	if m.FromEvents() {
		return "", 0, p.fail(open, "%s is measured around the scenario's events and has no steps or phases", m.Name)
	}
	return step, phase, nil
}

// op reads a comparison operator after subject.
func (p *gateParser) op(subject string) (Op, error) {
	at := p.pos
	sym := p.take(isOpRune)
	if sym == "" {
		if p.eof() {
			return 0, p.fail(at, "missing operator after %s (%s)", subject, opsHint)
		}
		return 0, p.fail(at, "missing operator after %s, found %q (%s)", subject, p.token(), opsHint)
	}
	for op, s := range opSymbols {
		if s == sym {
			return op, nil
		}
	}
	hint := opsHint
	switch sym {
	case "=":
		hint = "did you mean ==?"
	case "=<":
		hint = "did you mean <=?"
	case "=>":
		hint = "did you mean >=?"
	}
	return 0, p.fail(at, "unknown operator %q (%s)", sym, hint)
}

// threshold reads NUMBER [UNIT] up to the end of the text and converts it to
// m's canonical unit.
func (p *gateParser) threshold(m Metric, op Op) (float64, error) {
	at := p.pos
	if p.eof() {
		return 0, p.fail(at, "missing threshold after %s", op)
	}
	sign := ""
	if p.peek() == '-' {
		if m.Kind != KindValue {
			return 0, p.fail(at, "threshold must not be negative")
		}
		sign = "-" // a PromQL value may be: deriv(queue_depth[1m]) > -5
		p.pos++
	}
	tok := p.take(isNumberRune)
	if tok == "" {
		if p.eof() {
			return 0, p.fail(at, "missing threshold after %s", op)
		}
		return 0, p.fail(at, "missing threshold after %s, found %q", op, p.token())
	}
	tok = sign + tok
	n, err := strconv.ParseFloat(tok, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, p.fail(at, "number %s is too large", tok)
		}
		return 0, p.fail(at, "bad number %q", tok)
	}
	p.skipSpace()
	unitAt := p.pos
	unit := p.unit()
	if unit == "" && !p.eof() {
		return 0, p.fail(p.pos, "unexpected %q after the threshold", p.rest())
	}
	v, err := p.convert(m, tok, n, at, unit, unitAt)
	if err != nil {
		return 0, err
	}
	p.skipSpace()
	if !p.eof() {
		return 0, p.fail(p.pos, "unexpected %q after the threshold", p.rest())
	}
	return v, nil
}

// convert checks that unit fits m's kind and converts n to the canonical unit.
func (p *gateParser) convert(m Metric, tok string, n float64, at int, unit string, unitAt int) (float64, error) {
	k := m.Kind
	if unit == "" && k == KindLatency {
		return 0, p.fail(at, "latency needs a unit, e.g. 2s or 200ms")
	}
	if !acceptsUnit(k, unit) {
		return 0, p.fail(unitAt, "unit %q does not fit %s, a %s (want %s)", unit, m.Name, k, unitsHint(k))
	}
	switch k {
	case KindRatio:
		if unit == "%" && n > 100 {
			return 0, p.fail(at, "%s is a ratio and cannot exceed 100%%", m.Name)
		}
		if unit == "" && n > 1 {
			return 0, p.fail(at, "%s is a fraction from 0 to 1: did you mean %s%%?", m.Name, tok)
		}
	case KindCount:
		if n != math.Trunc(n) {
			return 0, p.fail(at, "%s counts whole events, not %s", m.Name, tok)
		}
	}
	v, err := toCanonical(k, tok, unit)
	if err != nil {
		return 0, p.fail(at, "number %s%s is too large", tok, unit)
	}
	return v, nil
}

// unit reads "%", "/" followed by letters, or letters (µ is a letter).
func (p *gateParser) unit() string {
	switch p.peek() {
	case '%':
		p.pos++
		return "%"
	case '/':
		p.pos++
		return "/" + p.take(unicode.IsLetter)
	default:
		return p.take(unicode.IsLetter)
	}
}

func (p *gateParser) eof() bool { return p.pos >= len(p.src) }

// peek returns the next rune, or 0 at the end.
func (p *gateParser) peek() rune {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func (p *gateParser) skipSpace() {
	for !p.eof() && unicode.IsSpace(p.src[p.pos]) {
		p.pos++
	}
}

// take consumes the longest run of runes that satisfy ok.
func (p *gateParser) take(ok func(rune) bool) string {
	start := p.pos
	for !p.eof() && ok(p.src[p.pos]) {
		p.pos++
	}
	return string(p.src[start:p.pos])
}

// token is the text up to the next space, for messages.
func (p *gateParser) token() string {
	end := p.pos
	for end < len(p.src) && !unicode.IsSpace(p.src[end]) {
		end++
	}
	return string(p.src[p.pos:end])
}

// rest is what is left of the text, trimmed, for messages.
func (p *gateParser) rest() string { return strings.TrimSpace(string(p.src[p.pos:])) }

func (p *gateParser) fail(pos int, format string, args ...any) error {
	return failAt(pos, format, args...)
}

// failAt makes a GateError at the 0-based rune position pos.
func failAt(pos int, format string, args ...any) error {
	return &GateError{Column: pos + 1, Msg: fmt.Sprintf(format, args...)}
}

func isMetricRune(r rune) bool {
	return r == '_' || r == '.' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// isPromRune accepts the characters of a Prometheus metric name.
func isPromRune(r rune) bool {
	return r == '_' || r == ':' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

func isStepRune(r rune) bool {
	return r == '_' || r == '-' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isNumberRune(r rune) bool { return r == '.' || r >= '0' && r <= '9' }

func isOpRune(r rune) bool { return r == '<' || r == '>' || r == '=' || r == '!' }

// isDecimal reports whether s is digits with at most one inner point.
func isDecimal(s string) bool {
	intPart, frac, hasPoint := strings.Cut(s, ".")
	return allDigits(intPart) && (!hasPoint || allDigits(frac))
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
