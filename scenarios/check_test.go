package scenarios

import (
	"net/http"
	"testing"

	"loadharness"
	"loadharness/scenarios/suite"
)

func TestCheck(t *testing.T) {
	jsonProbe := suite.DefaultSessionProbe
	jsonProbe.ID, jsonProbe.Checksum = suite.Source{Kind: suite.FromJSON, Name: "id"}, suite.Source{Kind: suite.FromJSON, Name: "checksum"}
	mapStep := stepPlan{expect: suite.Expect{Status: []int{200}, ContentType: "image/svg+xml", Session: true}}
	uploadStep := stepPlan{capture: true, expect: suite.Expect{Status: []int{201}}}
	own := func(u *user) { u.dataset, u.checksum, u.hasDataset = "ds1", "sum1", true }
	tests := []struct {
		name        string
		probe       suite.SessionProbe
		step        stepPlan
		prepare     func(*user)
		code        int
		header      http.Header
		body        string
		wantSession loadharness.SessionOutcome
		wantFailure string
		wantDataset string
	}{
		{"kept", suite.DefaultSessionProbe, mapStep, own, 200,
			http.Header{"Content-Type": {"image/svg+xml; charset=utf-8"}, "X-Dataset-Id": {"ds1"}, "X-Dataset-Checksum": {"sum1"}}, "",
			sessionKept, "", "ds1"},
		{"another user's data set", suite.DefaultSessionProbe, mapStep, own, 200,
			http.Header{"Content-Type": {"image/svg+xml"}, "X-Dataset-Id": {"ds2"}, "X-Dataset-Checksum": {"sum2"}}, "",
			sessionLost, "", "ds1"},
		{"same id, other checksum", suite.DefaultSessionProbe, mapStep, own, 200,
			http.Header{"Content-Type": {"image/svg+xml"}, "X-Dataset-Id": {"ds1"}, "X-Dataset-Checksum": {"sum2"}}, "",
			sessionLost, "", "ds1"},
		{"no data set: 404 proves nothing", suite.DefaultSessionProbe, mapStep, own, 404,
			http.Header{"Content-Type": {"application/json"}}, `{"error":"no data set in this session"}`,
			sessionUnproven, "status 404, want 200", "ds1"},
		{"overloaded: proves nothing", suite.DefaultSessionProbe, mapStep, own, 503,
			http.Header{"Content-Type": {"application/json"}}, `{"error":"overloaded"}`,
			sessionUnproven, "status 503, want 200", "ds1"},
		{"rate limited: proves nothing", suite.DefaultSessionProbe, mapStep, own, 429, http.Header{}, "",
			sessionUnproven, "status 429, want 200", "ds1"},
		{"500 naming another data set: lost", suite.DefaultSessionProbe, mapStep, own, 500,
			http.Header{"X-Dataset-Id": {"ds2"}}, "", sessionLost, "status 500, want 200", "ds1"},
		{"lost upload answer: a new data set no one holds is adopted", suite.DefaultSessionProbe, mapStep,
			func(u *user) { own(u); u.uploadUncertain = true }, 200,
			http.Header{"Content-Type": {"image/svg+xml"}, "X-Dataset-Id": {"ds7"}, "X-Dataset-Checksum": {"sum7"}}, "",
			sessionKept, "", "ds7"},
		{"lost upload answer: the old data set still proves", suite.DefaultSessionProbe, mapStep,
			func(u *user) { own(u); u.uploadUncertain = true }, 200,
			http.Header{"Content-Type": {"image/svg+xml"}, "X-Dataset-Id": {"ds1"}, "X-Dataset-Checksum": {"sum1"}}, "",
			sessionKept, "", "ds1"},
		{"lost upload answer: another user's data set is lost", suite.DefaultSessionProbe, mapStep,
			func(u *user) { own(u); u.uploadUncertain = true }, 200,
			http.Header{"Content-Type": {"image/svg+xml"}, "X-Dataset-Id": {"held-by-9"}}, "",
			sessionLost, "", "ds1"},
		{"upload answered by a gateway's 502 is uncertain, not failed over", suite.DefaultSessionProbe, uploadStep, own, 502,
			http.Header{}, "", sessionUnchecked, "status 502, want 201", "ds1"},
		{"before any upload", suite.DefaultSessionProbe, mapStep, nil, 200,
			http.Header{"Content-Type": {"image/svg+xml"}}, "", sessionUnchecked, "", ""},
		{"wrong content type", suite.DefaultSessionProbe, mapStep, own, 200,
			http.Header{"Content-Type": {"text/html"}, "X-Dataset-Id": {"ds1"}, "X-Dataset-Checksum": {"sum1"}}, "",
			sessionKept, `content-type "text/html", want image/svg+xml`, "ds1"},
		{"capture", suite.DefaultSessionProbe, uploadStep, own, 201, http.Header{}, `{"id":"ds9","rows":300,"checksum":"sum9"}`,
			sessionUnchecked, "", "ds9"},
		{"capture a number", suite.DefaultSessionProbe, uploadStep, nil, 201, http.Header{}, `{"id": 17}`,
			sessionUnchecked, "", "17"},
		{"capture without id", suite.DefaultSessionProbe, uploadStep, own, 201, http.Header{}, `{"rows":300}`,
			sessionUnchecked, "capture: response has no json:id", "ds1"},
		{"failed upload keeps the old data set", suite.DefaultSessionProbe, uploadStep, own, 413, http.Header{}, `{"id":"x"}`,
			sessionUnchecked, "status 413, want 201", "ds1"},
		{"json probe", jsonProbe, stepPlan{expect: suite.Expect{Session: true, BodyContains: `"rows"`}}, own, 200, http.Header{},
			`{"id":"ds1","checksum":"sum1","rows":3}`, sessionKept, "", "ds1"},
		{"body lacks", jsonProbe, stepPlan{expect: suite.Expect{BodyContains: "hello"}}, own, 200, http.Header{}, `bye`,
			sessionUnchecked, `body lacks "hello"`, "ds1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := &user{}
			if tt.prepare != nil {
				tt.prepare(u)
			}
			resp := &http.Response{StatusCode: tt.code, Header: tt.header}
			pr := newProbe(tt.probe)
			pr.holders.hold("held-by-9", 9)
			session, failure, _ := pr.check(&tt.step, u, resp, []byte(tt.body), false, 0)
			if session != tt.wantSession || failure != tt.wantFailure || u.dataset != tt.wantDataset {
				t.Errorf("got %v, %q, data set %q; want %v, %q, %q", session, failure, u.dataset, tt.wantSession, tt.wantFailure, tt.wantDataset)
			}
		})
	}
}
