package suite

import (
	"fmt"
	"net/http"
	"strings"
)

// SourceKind says where in a response a value is found.
type SourceKind uint8

const (
	// FromNowhere is an unset source: the value is not checked.
	FromNowhere SourceKind = iota
	// FromHeader reads a response header.
	FromHeader
	// FromJSON reads a top-level field of a JSON response body.
	FromJSON
)

// Source says where a response names a value: "header:NAME" or "json:FIELD".
type Source struct {
	Kind SourceKind
	Name string
}

// ParseSource reads "header:NAME" or "json:FIELD"; "" is the unset source.
func ParseSource(s string) (Source, error) {
	if s == "" {
		return Source{}, nil
	}
	kind, name, ok := strings.Cut(s, ":")
	if !ok || name == "" {
		return Source{}, fmt.Errorf("must be header:NAME or json:FIELD, not %q", truncate(s, 40))
	}
	switch kind {
	case "header":
		if !validHeaderName(name) {
			return Source{}, fmt.Errorf("%q is not a valid header name", truncate(name, 40))
		}
		return Source{Kind: FromHeader, Name: http.CanonicalHeaderKey(name)}, nil
	case "json":
		return Source{Kind: FromJSON, Name: name}, nil
	default:
		return Source{}, fmt.Errorf("must be header:NAME or json:FIELD, not %q", truncate(s, 40))
	}
}

// String returns the source as written in a suite.
func (s Source) String() string {
	switch s.Kind {
	case FromHeader:
		return "header:" + s.Name
	case FromJSON:
		return "json:" + s.Name
	default:
		return ""
	}
}

// SessionProbe says how responses prove that a virtual user still has its own
// session: a capture step's response names the data set the user uploaded,
// and later responses name the data set the server found in the session.
type SessionProbe struct {
	// UploadID and UploadChecksum are where a capture step's response names
	// the new data set.
	UploadID       Source
	UploadChecksum Source
	// ID and Checksum are where a session-checked response names the data set
	// it served.
	ID       Source
	Checksum Source
	// InstanceHeader and WorkerHeader name who served a response.
	InstanceHeader string
	WorkerHeader   string
	// VersionHeader, when set, names the header in which the service says
	// its version: the sign-off report names the versions that answered.
	VersionHeader string
}

// DefaultSessionProbe fits the reference target (docs/target-api.md).
var DefaultSessionProbe = SessionProbe{
	UploadID:       Source{Kind: FromJSON, Name: "id"},
	UploadChecksum: Source{Kind: FromJSON, Name: "checksum"},
	ID:             Source{Kind: FromHeader, Name: "X-Dataset-Id"},
	Checksum:       Source{Kind: FromHeader, Name: "X-Dataset-Checksum"},
	InstanceHeader: "X-Instance",
	WorkerHeader:   "X-Worker",
}

// validHeaderName reports whether s is an HTTP header field name (a token).
func validHeaderName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
