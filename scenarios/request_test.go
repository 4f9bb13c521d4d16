package scenarios

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"testing"

	"loadharness/datagen"
	"loadharness/scenarios/suite"
)

func TestRequestBodies(t *testing.T) {
	login, _ := suite.BuiltInStep(suite.StepLogin)
	upload, _ := suite.BuiltInStep(suite.StepUpload)
	custom := suite.Step{Name: "c", Method: "POST", Path: "/items/{{user}}", Body: `{"who":"{{user}}"}`, Headers: map[string]string{"X-User": "vu-{{user}}", "X-Fixed": "1"}}
	p, err := compile(&suite.Scenario{Steps: []suite.Step{login, upload, custom}}, "http://h:1/", suite.DefaultSessionProbe)
	if err != nil {
		t.Fatal(err)
	}
	cache := newUploadCache(1 << 20)
	u7 := &user{id: 7}

	body, err := p.steps[0].requestBody(u7, 0, cache)
	if err != nil || string(body) != "user=vu-7" {
		t.Errorf("login body %q, %v; want user=vu-7", body, err)
	}
	if got := p.steps[0].header.Get("Content-Type"); got != "application/x-www-form-urlencoded" {
		t.Errorf("login content type %q", got)
	}

	ct := p.steps[1].header.Get("Content-Type")
	csvOf := func(u *user) []byte {
		body, err := p.steps[1].requestBody(u, 1, cache)
		if err != nil {
			t.Fatal(err)
		}
		_, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatal(err)
		}
		part, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).NextPart()
		if err != nil || part.FormName() != "file" {
			t.Fatalf("part %v, %v; want the file field", part, err)
		}
		data, _ := io.ReadAll(part)
		return data
	}
	want, err := datagen.Bytes(datagen.Spec{Rows: suite.DefaultUploadRows, Indicators: suite.DefaultUploadIndicators, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if got := csvOf(u7); !bytes.Equal(got, want) {
		t.Errorf("user 7 uploads %d bytes, want datagen's %d for seed 7", len(got), len(want))
	}
	if bytes.Equal(csvOf(&user{id: 8}), want) {
		t.Error("users 7 and 8 upload the same data set")
	}
	if _, cached := u7.uploads[1]; !cached {
		t.Error("upload body not cached on the user")
	}

	if got := p.steps[2].url.expand(&user{id: 7}); got != "http://h:1/items/7" {
		t.Errorf("url %q", got)
	}
	if body, _ := p.steps[2].requestBody(u7, 2, cache); string(body) != `{"who":"7"}` {
		t.Errorf("body %q", body)
	}
	h := p.steps[2].requestHeader(u7)
	if h.Get("X-User") != "vu-7" || h.Get("X-Fixed") != "1" || p.steps[2].header.Get("X-User") != "" {
		t.Errorf("headers %v (shared %v)", h, p.steps[2].header)
	}
}

func TestUploadCacheBudget(t *testing.T) {
	c := newUploadCache(100)
	if !c.reserve(60) || c.reserve(60) || !c.reserve(40) || c.reserve(1) {
		t.Error("reserve does not keep to the budget")
	}
}
