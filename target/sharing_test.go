package target

import (
	"errors"
	"net/http"
	"testing"
)

// switchBase points c at another instance; cookies follow because a cookie
// jar ignores ports, as browsers do behind one balancer host.
func (c *testClient) switchBase(base string) { c.base = base }

// TestSessionsAcrossInstances runs two instances side by side and moves one
// user from the first to the second, in each store shape.
func TestSessionsAcrossInstances(t *testing.T) {
	r := mustStartRedis(t)
	cases := []struct {
		name           string
		sessions, data string
		// wantOnB is /dataset's status on instance B.
		wantOnB int
	}{
		{"redis sessions and data sets: kept", SessionStoreRedis, DatasetStoreRedis, http.StatusOK},
		{"redis sessions, data set in session: kept", SessionStoreRedis, DatasetStoreSession, http.StatusOK},
		{"redis sessions, data set on A's disk: lost", SessionStoreRedis, DatasetStoreFile, http.StatusGone},
		{"memory sessions: lost", SessionStoreMemory, DatasetStoreRedis, http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var urls [2]string
			for i, name := range []string{"a", "b"} {
				cfg := redisConfig(t, r)
				cfg.Instance = name
				cfg.SessionStore, cfg.DatasetStore = tc.sessions, tc.data
				_, ts := mustServer(t, cfg)
				urls[i] = ts.URL
			}
			c := newTestClient(t, urls[0], true)
			c.login("u1")
			up := c.upload(mustCSV(t, 40, 7))
			if up.Status != http.StatusCreated {
				t.Fatalf("upload on A: %d %s", up.Status, up.Body)
			}
			want := up.JSON(t)

			c.switchBase(urls[1])
			got := c.get("/dataset")
			if got.Status != tc.wantOnB {
				t.Fatalf("dataset on B: status %d, want %d: %s", got.Status, tc.wantOnB, got.Body)
			}
			if got, want := got.Header.Get("X-Instance"), "b"; got != want {
				t.Errorf("X-Instance %q, want %q", got, want)
			}
			switch tc.wantOnB {
			case http.StatusOK:
				b := got.JSON(t)
				if b["id"] != want["id"] || b["checksum"] != want["checksum"] || b["user"] != "u1" {
					t.Errorf("B sees %v, want the data set %v/%v of u1", b, want["id"], want["checksum"])
				}
			case http.StatusGone:
				// The session survived but points at a file B does not have:
				// the body names the data set that was lost, and no data
				// header claims the response shows it.
				if got := got.Header.Get("X-Dataset-Id"); got != "" {
					t.Errorf("X-Dataset-Id %q on a lost data set, want none", got)
				}
				body := got.JSON(t)
				if got, want := body["error"], errDatasetMissing.Error(); got != want {
					t.Errorf("error %v, want %q", got, want)
				}
				if got, want := body["id"], want["id"]; got != want {
					t.Errorf("id %v, want %v", got, want)
				}
			}
		})
	}
}

// TestSessionTooLarge is the seed's "DataFrame serialization causes session
// storage issues": a data set bigger than the session may hold.
func TestSessionTooLarge(t *testing.T) {
	cfg := memoryConfig(t)
	cfg.MaxSessionBytes = 4 << 10
	_, ts := mustServer(t, cfg)
	c := newTestClient(t, ts.URL, true)
	c.login("u1")
	up := c.upload(mustCSV(t, 500, 4))
	if got, want := up.Status, http.StatusInsufficientStorage; got != want {
		t.Fatalf("upload: status %d, want %d: %s", got, want, up.Body)
	}
	if got := metricValue(t, c, "target_serialization_errors_total"); got != 1 {
		t.Errorf("target_serialization_errors_total = %v, want 1", got)
	}
	if got, want := metricValue(t, c, `target_dataset_store_operations_total{op="put",result="too_large"}`), 1.0; got != want {
		t.Errorf("too_large puts = %v, want %v", got, want)
	}
	// A small data set still fits.
	if got, want := c.upload(mustCSV(t, 5, 4)).Status, http.StatusCreated; got != want {
		t.Errorf("small upload: status %d, want %d", got, want)
	}
}

// TestCorruptDataSetIsSerializationError tampers with a stored data set.
func TestCorruptDataSetIsSerializationError(t *testing.T) {
	cfg := memoryConfig(t)
	cfg.DatasetStore = DatasetStoreFile
	s, ts := mustServer(t, cfg)
	c := newTestClient(t, ts.URL, true)
	c.login("u1")
	up := c.upload(mustCSV(t, 20, 5))
	if up.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", up.Status, up.Body)
	}
	id, _ := up.JSON(t)["id"].(string)
	fd := s.datasets.(*fileDatasets)
	p, ok := fd.path(id)
	if !ok {
		t.Fatalf("id %q is not valid", id)
	}
	if err := writeFileAtomic(p, []byte("not a data set")); err != nil {
		t.Fatal(err)
	}
	got := c.get("/dataset")
	if got.Status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500: %s", got.Status, got.Body)
	}
	if got := metricValue(t, c, "target_serialization_errors_total"); got != 1 {
		t.Errorf("target_serialization_errors_total = %v, want 1", got)
	}
}

// TestReuploadDropsTheReplacedDataSet checks that a second upload in one
// session does not leave the first data set behind in its store.
func TestReuploadDropsTheReplacedDataSet(t *testing.T) {
	r := mustStartRedis(t)
	cases := []struct {
		name string
		data string
	}{
		{"redis", DatasetStoreRedis},
		{"file", DatasetStoreFile},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := redisConfig(t, r)
			cfg.DatasetStore = tc.data
			s, ts := mustServer(t, cfg)
			c := newTestClient(t, ts.URL, true)
			c.login("u1")
			first, _ := c.upload(mustCSV(t, 10, 1)).JSON(t)["id"].(string)
			second, _ := c.upload(mustCSV(t, 10, 2)).JSON(t)["id"].(string)
			if first == "" || second == "" || first == second {
				t.Fatalf("ids %q and %q: want two different ids", first, second)
			}
			if _, err := s.datasets.Get(t.Context(), first); !errors.Is(err, errDatasetMissing) {
				t.Errorf("first data set after the second upload: %v, want errDatasetMissing", err)
			}
			if _, err := s.datasets.Get(t.Context(), second); err != nil {
				t.Errorf("second data set: %v", err)
			}
		})
	}
}
