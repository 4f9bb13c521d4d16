package dataset_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"loadharness/target/dataset"
)

func ExampleParse() {
	upload := "ward_code,ward_name,tpr\nNG-KN-W00001,\"Gwale, North\",0.31\nNG-KN-W00002,Dala,\n"
	d, err := dataset.Parse(strings.NewReader(upload), dataset.DefaultLimits)
	if err != nil {
		fmt.Println(err)
		return
	}
	tpr, _ := d.Column("tpr")
	fmt.Println(d.Rows(), "rows;", d.Kinds)
	fmt.Println(d.Key(0), d.Text(0, 1), d.Number(0, tpr), d.Number(1, tpr))
	// Output:
	// 2 rows; [text text numeric]
	// NG-KN-W00001 Gwale, North 0.31 NaN
}

// A server maps Parse's typed errors to status codes and passes the row and
// column of a malformed upload on to the user.
func ExampleSyntaxError() {
	upload := "ward,tpr\nW1,0.5\nW2,abc\n"
	_, err := dataset.Parse(strings.NewReader(upload), dataset.DefaultLimits)
	var syntax *dataset.SyntaxError
	var limit *dataset.LimitError
	switch {
	case errors.As(err, &limit):
		fmt.Println(http.StatusRequestEntityTooLarge, limit)
	case errors.As(err, &syntax):
		fmt.Println(http.StatusBadRequest, syntax.Row, syntax.Column, syntax)
	}
	// Output:
	// 400 3 2 row 3, column 2 (tpr): "abc" is not a number; the column is numeric from row 2
}

func ExampleDecode() {
	d, _ := dataset.Parse(strings.NewReader("ward,tpr\nW1,0.5\n"), dataset.DefaultLimits)
	stored, _ := d.MarshalBinary() // what goes to Redis
	back, err := dataset.Decode(stored, dataset.DefaultLimits)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back.Checksum() == d.Checksum())

	stored[len(stored)/2] ^= 1 // a flipped bit
	_, err = dataset.Decode(stored, dataset.DefaultLimits)
	var corrupt *dataset.CorruptError
	fmt.Println(errors.As(err, &corrupt))
	// Output:
	// true
	// true
}
