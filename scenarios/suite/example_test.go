package suite_test

import (
	"fmt"

	"loadharness/scenarios/suite"
)

func ExampleParse() {
	_, err := suite.Parse("mine.yaml", []byte(`name: mine
gates: [p95 < 2s, error_rate < 0.1]
scenarios:
  - name: views
    userz: 100
    rate: 150/s
    duration: 30s
    steps: [login, mapp]
`))
	fmt.Println(err)
	// Output:
	// mine.yaml:4:5: scenario "views" needs users
	// mine.yaml:5:5: unknown field "userz" in scenario (did you mean "users"?)
	// mine.yaml:8:20: unknown step "mapp" (did you mean "map"?); built-in steps are login, upload, dataset, map, or write a full step with name, method and path
}

func ExampleLoad() {
	s, err := suite.Load("default")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, sc := range s.Scenarios {
		fmt.Printf("%s: %d users, %s, %s\n", sc.Name, sc.Users, sc.Load, sc.Duration)
	}
	// Output:
	// uploads: 50 users, closed, 20s
	// map-views: 100 users, 150/s, 30s
	// mixed: 50 users, closed, 25s
}
