package suite

import (
	"maps"
	"regexp"
	"slices"
	"time"
)

// Placeholder is replaced by the virtual user's id in a step's path, form
// values, body and header values, so that each user can log in as itself.
const Placeholder = "{{user}}"

// Built-in step names.
const (
	StepLogin   = "login"
	StepUpload  = "upload"
	StepDataset = "dataset"
	StepMap     = "map"
)

// Defaults of an upload step.
const (
	DefaultUploadRows       = 300
	DefaultUploadIndicators = 6
	DefaultUploadField      = "file"
)

// Step is one request of a virtual user and what its response must show.
type Step struct {
	// Name identifies the step in results, gates and charts.
	Name   string
	Method string
	// Path starts with "/" and may hold a query; it is joined to the base URL.
	Path    string
	Headers map[string]string
	// Form is sent URL-encoded. At most one of Form, Body and Upload is set.
	Form map[string]string
	Body string
	// Upload sends a generated CSV data set as a multipart form, different
	// for every user (the generator's seed is the user id).
	Upload *Upload
	// Capture makes the user remember the data set named by a successful
	// response (SessionProbe.UploadID), which later session checks expect.
	Capture bool
	// Weight is the step's share of a weighted pick; 1 by default.
	Weight int
	Expect Expect
	// BodyJSON says Body is JSON (written as json:): a placeholder in it
	// is JSON-escaped, and Content-Type is application/json unless a
	// header says otherwise.
	BodyJSON bool
	// Multipart is a multipart form; at most one of Form, Body, Upload and
	// Multipart is set.
	Multipart []MultipartField
	// Timeout bounds this step's requests; 0 takes the engine's.
	Timeout time.Duration
	// Extract sets user variables from the response, in order.
	Extract []Extraction
	// Checks are named assertions on the response.
	Checks []Check
}

// MultipartField is one part of a multipart form: a value (a template) or,
// written "@FILE", the content of a file read with the suite.
type MultipartField struct {
	Name  string
	Value string
	// File is the file's base name when the part is a file; Value then
	// holds its content, sent as is.
	File string
}

// Extraction sources.
const (
	FromJSONPath = "json"
	FromHeaderOf = "header"
	FromCookie   = "cookie"
	FromRegex    = "regex"
)

// Extraction sets the user variable Name from the response: a gjson path
// into the JSON body, a header, a cookie the response set, or the first
// group (else the whole match) of a regular expression on the body.
type Extraction struct {
	Name string
	From string // FromJSONPath, FromHeaderOf, FromCookie or FromRegex
	Expr string
	// Regex is Expr compiled, for FromRegex.
	Regex *regexp.Regexp
}

// Check kinds.
const (
	CheckJSON     = "json"
	CheckHeader   = "header"
	CheckBodySize = "body_size"
	CheckLatency  = "latency"
)

// Check is one named assertion on a response. A JSON or header check has
// exactly one of Equals, Exists and Matches.
type Check struct {
	Name string
	Kind string
	// Expr is the gjson path or the header name.
	Expr    string
	Equals  *string
	Exists  *bool
	Matches *regexp.Regexp
	// MinBytes and MaxBytes bound the body size (MaxBytes 0: no bound).
	MinBytes, MaxBytes int64
	// Latency is the step's budget: a slower response fails the check.
	Latency time.Duration
}

// Upload describes the generated data set an upload step sends.
type Upload struct {
	Rows       int
	Indicators int
	// Field is the multipart form field that holds the file.
	Field string
}

// Expect is what a step's response must show. Failed checks are counted
// apart from HTTP errors; a lost session is counted apart from both.
type Expect struct {
	// Status lists acceptable status codes; empty accepts any.
	Status []int
	// ContentType must prefix the response's Content-Type (case-insensitive).
	ContentType string
	// BodyContains must occur in the response body.
	BodyContains string
	// Session checks that the response names the data set the user uploaded.
	Session bool
}

// BuiltInSteps lists the names of the built-in steps.
var BuiltInSteps = []string{StepLogin, StepUpload, StepDataset, StepMap}

// BuiltInStep returns a copy of the built-in step called name, tuned to the
// reference target (docs/target-api.md).
func BuiltInStep(name string) (Step, bool) {
	var s Step
	switch name {
	case StepLogin:
		s = Step{Method: "POST", Path: "/login", Form: map[string]string{"user": "vu-" + Placeholder},
			Expect: Expect{Status: []int{200}}}
	case StepUpload:
		s = Step{Method: "POST", Path: "/upload",
			Upload:  &Upload{Rows: DefaultUploadRows, Indicators: DefaultUploadIndicators, Field: DefaultUploadField},
			Capture: true, Expect: Expect{Status: []int{201}}}
	case StepDataset:
		s = Step{Method: "GET", Path: "/dataset",
			Expect: Expect{Status: []int{200}, ContentType: "application/json", Session: true}}
	case StepMap:
		s = Step{Method: "GET", Path: "/map",
			Expect: Expect{Status: []int{200}, ContentType: "image/svg+xml", Session: true}}
	default:
		return Step{}, false
	}
	s.Name = name
	s.Weight = 1
	return s, true
}

// clone returns a deep copy of s, so that a built-in's maps are never shared.
func (s Step) clone() Step {
	s.Headers = maps.Clone(s.Headers)
	s.Form = maps.Clone(s.Form)
	s.Expect.Status = slices.Clone(s.Expect.Status)
	if s.Upload != nil {
		u := *s.Upload
		s.Upload = &u
	}
	s.Multipart = slices.Clone(s.Multipart)
	s.Extract = slices.Clone(s.Extract)
	s.Checks = slices.Clone(s.Checks)
	return s
}
