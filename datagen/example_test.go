package datagen_test

import (
	"fmt"
	"strings"

	"loadharness/datagen"
)

func ExampleBytes() {
	body, err := datagen.Bytes(datagen.Spec{Rows: 3, Indicators: 2, Seed: 7})
	if err != nil {
		fmt.Println(err)
		return
	}
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	fmt.Println(lines[0])
	fmt.Println(len(lines)-1, "data rows")
	// Output:
	// ward_code,ward_name,lga,state,population,test_positivity_rate
	// 3 data rows
}
