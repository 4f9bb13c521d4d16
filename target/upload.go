package target

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"

	"loadharness/target/dataset"
)

// multipartSlack is what the multipart framing around the file may add to
// its size: boundaries, part headers, a few small fields.
const multipartSlack = 64 << 10

// maxFormParts bounds the parts read before the file. A browser sends a
// handful; a form of ten thousand tiny parts is an attack on the parser,
// and each part costs a header map, so it is cut short here.
const maxFormParts = 100

// upload parses the form's CSV file, keeps it in the data-set store and
// points the session at it. The body is streamed into the parser, never
// buffered whole, and capped before parsing starts.
func (s *Server) upload(c echo.Context) error {
	req := c.Request()
	ctx := req.Context()
	// Nowhere to keep the data set: say so before reading megabytes.
	if s.datasetCircuit.refuse() {
		return writeError(c, http.StatusServiceUnavailable, errDatasetUnavailable)
	}
	req.Body = http.MaxBytesReader(c.Response(), req.Body, s.cfg.Limits.MaxBytes+multipartSlack)
	mr, err := req.MultipartReader()
	if err != nil {
		return writeError(c, http.StatusBadRequest, "upload: want a multipart/form-data body with a file field")
	}
	part, err := filePart(mr)
	if err != nil {
		return s.uploadFailure(c, err)
	}
	ds, err := dataset.Parse(part, s.cfg.Limits)
	if err != nil {
		return s.uploadFailure(c, err)
	}
	if err := ctx.Err(); err != nil {
		return writeError(c, http.StatusServiceUnavailable, errTimedOut)
	}
	id, err := newDatasetID()
	if err != nil {
		return writeError(c, http.StatusInternalServerError, err.Error())
	}
	b, err := ds.MarshalBinary()
	if err != nil {
		s.m.serialization.Inc()
		s.cfg.Logf("encode data set: %v", err)
		return writeError(c, http.StatusInternalServerError, "data set cannot be encoded")
	}
	ref := datasetRef{ID: id, Checksum: ds.Checksum()}
	if err := s.datasets.Put(ctx, id, b); err != nil {
		return s.storeFailure(ref, err).write(c)
	}
	// The data set this session pointed at is garbage now; drop it rather
	// than let re-uploads fill Redis or the disk until the TTL. Best effort:
	// the new upload has succeeded whatever happens here.
	if prev, ok := s.sessions.dataset(ctx); ok && prev.ID != id {
		if err := s.datasets.Delete(ctx, prev.ID); err != nil {
			s.cfg.Logf("drop replaced data set: %v", err)
		}
	}
	s.sessions.setDataset(ctx, ref)
	setDatasetHeaders(c, ref)
	return c.JSON(http.StatusCreated, datasetReply{
		ID:       id,
		Rows:     ds.Rows(),
		Columns:  ds.Columns(),
		Checksum: ref.Checksum,
	})
}

// errNoFile is a form without a file field.
var errNoFile = errors.New("upload: the form has no file field")

// errTooManyParts is a form with more than maxFormParts parts before its file.
var errTooManyParts = fmt.Errorf("upload: more than %d form parts before the file", maxFormParts)

// filePart skips to the part named file, reading at most maxFormParts parts.
// The parts skipped are discarded as they stream by, never kept.
func filePart(mr *multipart.Reader) (*multipart.Part, error) {
	for n := 0; ; n++ {
		if n == maxFormParts {
			return nil, errTooManyParts
		}
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errNoFile
		}
		if err != nil {
			return nil, fmt.Errorf("upload: read form: %w", err)
		}
		if part.FormName() == "file" {
			return part, nil
		}
	}
}

// syntaxErrorBody locates a malformed CSV: row 1 is the header, column 1 the
// first field, column 0 a problem with the whole row.
type syntaxErrorBody struct {
	Error  string `json:"error"`
	Row    int    `json:"row"`
	Column int    `json:"column"`
}

// uploadFailure says who is at fault: too large is 413, a malformed CSV is
// 400 with where it went wrong, a body too slow to arrive 408, a client that
// gave up is not our problem.
func (s *Server) uploadFailure(c echo.Context, err error) error {
	var (
		limit  *dataset.LimitError
		syntax *dataset.SyntaxError
		tooBig *http.MaxBytesError
	)
	switch {
	case errors.As(err, &tooBig):
		return writeError(c, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("upload larger than %d bytes", s.cfg.Limits.MaxBytes))
	case errors.As(err, &limit):
		return writeError(c, http.StatusRequestEntityTooLarge, limit.Error())
	case errors.Is(err, errTooManyParts):
		return writeError(c, http.StatusRequestEntityTooLarge, err.Error())
	case errors.As(err, &syntax):
		return c.JSON(http.StatusBadRequest, syntaxErrorBody{Error: syntax.Error(), Row: syntax.Row, Column: syntax.Column})
	case errors.Is(err, os.ErrDeadlineExceeded):
		return writeError(c, http.StatusRequestTimeout, errBodyTooSlow)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return writeError(c, http.StatusServiceUnavailable, errTimedOut)
	default:
		return writeError(c, http.StatusBadRequest, err.Error())
	}
}
