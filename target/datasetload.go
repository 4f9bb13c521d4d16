package target

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"loadharness/target/dataset"
)

// loadDataset reads the session's data set from its store and decodes it,
// setting the data headers as soon as the session names one. Every read goes
// through dataset.Decode with the upload limits, so a corrupt or hostile blob
// in a shared store cannot make the worker allocate without bound.
func (s *Server) loadDataset(c echo.Context) (*dataset.DataSet, datasetRef, *failure) {
	ctx := c.Request().Context()
	ref, ok := s.sessions.dataset(ctx)
	if !ok {
		return nil, ref, &failure{http.StatusNotFound, errorBody{Error: errNoDataset}}
	}
	setDatasetHeaders(c, ref)
	b, err := s.datasets.Get(ctx, ref.ID)
	if err != nil {
		if errors.Is(err, errDatasetMissing) {
			// The data headers say "this response shows your data set"; it
			// does not, so a client checking them sees the loss. The body
			// still names the lost id.
			c.Response().Header().Del(headerDatasetID)
			c.Response().Header().Del(headerDatasetChecksum)
		}
		return nil, ref, s.storeFailure(ref, err)
	}
	ds, err := dataset.Decode(b, s.cfg.Limits)
	if err != nil {
		s.m.serialization.Inc()
		s.cfg.Logf("decode data set %s: %v", ref.ID, err)
		return nil, ref, &failure{http.StatusInternalServerError, errorBody{Error: "data set corrupt: cannot decode", ID: ref.ID}}
	}
	if got := ds.Checksum(); got != ref.Checksum {
		s.m.serialization.Inc()
		s.cfg.Logf("data set %s: checksum %s, session says %s", ref.ID, got, ref.Checksum)
		return nil, ref, &failure{http.StatusInternalServerError, errorBody{Error: "data set corrupt: checksum mismatch", ID: ref.ID}}
	}
	return ds, ref, nil
}

func setDatasetHeaders(c echo.Context, ref datasetRef) {
	h := c.Response().Header()
	h.Set(headerDatasetID, ref.ID)
	h.Set(headerDatasetChecksum, ref.Checksum)
}
