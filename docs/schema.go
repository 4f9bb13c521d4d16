// Package docs holds what the harness publishes beside its prose docs and
// prints from its binary: the JSON Schema of summary.json, embedded so that
// `loadtest schema summary` prints the very file committed here.
package docs

import _ "embed"

// SummarySchema is docs/summary.schema.json, the JSON Schema (draft
// 2020-12) of summary.json. It is generated from reports.Summary and its
// Go comments, and a test fails when it differs from what they generate:
//
//	go test ./reports -run SummarySchema -update
//
//go:embed summary.schema.json
var SummarySchema string
