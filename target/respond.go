package target

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Response headers of the contract.
const (
	headerInstance        = "X-Instance"
	headerWorker          = "X-Worker"
	headerDatasetID       = "X-Dataset-Id"
	headerDatasetChecksum = "X-Dataset-Checksum"
)

// Error messages the harness may match on; they are part of the contract.
const (
	errSessionUnavailable = "session store unavailable"
	errDatasetUnavailable = "dataset store unavailable"
	errNoDataset          = "no data set in this session"
	errOverloadedMsg      = "overloaded"
	errTimedOut           = "request timed out"
)

// errorBody is every error answer but a malformed CSV's: what went wrong
// and, for a lost or corrupt data set, which one.
type errorBody struct {
	Error string `json:"error"`
	ID    string `json:"id,omitempty"`
}

// writeError answers code with {"error": msg}.
func writeError(c echo.Context, code int, msg string) error {
	return c.JSON(code, errorBody{Error: msg})
}

// errorJSON is the body writeError would send, for writers below Echo.
func errorJSON(msg string) []byte {
	b, err := json.Marshal(errorBody{Error: msg})
	if err != nil {
		return []byte(`{"error":"internal error"}`)
	}
	return append(b, '\n')
}

// httpErrorHandler turns Echo's own errors (no route, wrong method, a
// handler's returned error) into the contract's JSON errors.
func httpErrorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, "internal error"
	if he, ok := err.(*echo.HTTPError); ok {
		code = he.Code
		msg = http.StatusText(code)
		if s, ok := he.Message.(string); ok && s != "" {
			msg = s
		}
	}
	_ = writeError(c, code, msg)
}
