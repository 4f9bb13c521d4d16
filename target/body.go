package target

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"
)

// errBodyTooSlow answers a client whose request body did not arrive by the
// request's deadline: 408, its fault, not the server's.
const errBodyTooSlow = "request body not received within the request timeout"

// limitBodyRead cuts off reading the request body at deadline. Without it
// a client trickling a byte a second would hold a thread until the
// connection's own ReadTimeout, far past the request timeout, since a
// blocked read does not watch the request's context. Requests without a
// body are left alone: the server is reading their connection in the
// background to notice a client that hangs up, and a deadline there would
// only end that early.
func limitBodyRead(c echo.Context, deadline time.Time) {
	req := c.Request()
	if req.Body == nil || req.Body == http.NoBody {
		return
	}
	// Writers that cannot (httptest's recorder) have no connection to hold.
	_ = http.NewResponseController(c.Response()).SetReadDeadline(deadline)
}

// bodyFailure classifies an error met while reading a request body: too
// large is 413, too slow 408. Anything else is left to the caller (nil).
func bodyFailure(err error) *failure {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &failure{http.StatusRequestEntityTooLarge, errorBody{Error: fmt.Sprintf("request body larger than %d bytes", tooBig.Limit)}}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &failure{http.StatusRequestTimeout, errorBody{Error: errBodyTooSlow}}
	}
	return nil
}
