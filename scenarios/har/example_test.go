package har_test

import (
	"fmt"
	"strings"

	"loadharness/scenarios/har"
)

// A login whose token the next request sends back becomes an extraction
// and a placeholder; the page's stylesheet is left out.
func ExampleConvert() {
	l, err := har.Read(strings.NewReader(`{"log": {"entries": [
		{"request": {"method": "POST", "url": "http://127.0.0.1:8080/api/login",
		  "postData": {"mimeType": "application/json", "text": "{\"user\":\"ann\"}"}},
		 "response": {"status": 200, "content": {"mimeType": "application/json", "text": "{\"token\":\"tk-0123456789abcdef\"}"}}},
		{"request": {"method": "GET", "url": "http://127.0.0.1:8080/site.css"},
		 "response": {"status": 200, "content": {"mimeType": "text/css"}}},
		{"request": {"method": "GET", "url": "http://127.0.0.1:8080/api/me",
		  "headers": [{"name": "Authorization", "value": "Bearer tk-0123456789abcdef"}, {"name": "User-Agent", "value": "Firefox"}]},
		 "response": {"status": 200}}
	]}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	text, warnings, err := har.Convert(l, har.Options{Name: "example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(warnings[0])
	_, suite, _ := strings.Cut(string(text), "\nname:")
	fmt.Print("name:" + suite)
	// Output:
	// dropped 1 static asset (images, CSS, scripts, fonts, media): --include-assets keeps them
	// name: example
	// description: A browser session recorded on http://127.0.0.1:8080, replayed in order by one user.
	// stack: {instances: 1, workers: 1, threads: 4, session_store: redis, dataset_store: redis}
	// gates:
	//   - p95 < 2s
	//   - error_rate < 1%
	// scenarios:
	//   - name: recorded
	//     users: 1
	//     duration: 30s
	//     think: 0s
	//     steps:
	//       - name: post-api-login
	//         method: POST
	//         path: /api/login
	//         headers:
	//           Content-Type: application/json
	//         body: '{"user":"ann"}'
	//         extract:
	//           token: {json: token}
	//         expect: {status: [200]}
	//       - name: get-api-me
	//         method: GET
	//         path: /api/me
	//         headers:
	//           Authorization: Bearer {{token}}
	//         expect: {status: [200]}
}
