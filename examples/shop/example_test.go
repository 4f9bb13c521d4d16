package shop_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"loadharness/examples/shop"
)

// The shop behind httptest, as a test of the harness would start it: log
// in, then place an order with the token.
func Example() {
	s := shop.New([]shop.Account{{Email: "ada@shop.example", Password: "pw-ada-1815", Name: "Ada"}})
	ts := httptest.NewServer(s)
	defer ts.Close()

	resp, err := http.Post(ts.URL+"/api/login", "application/json",
		strings.NewReader(`{"email":"ada@shop.example","password":"pw-ada-1815"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	var login struct {
		Token string `json:"token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()

	req, _ := http.NewRequest("POST", ts.URL+"/api/orders", strings.NewReader(`{"item":"tea","qty":2}`))
	req.Header.Set("Authorization", "Bearer "+login.Token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var order shop.Order
	_ = json.NewDecoder(resp.Body).Decode(&order)

	fmt.Println(resp.StatusCode, resp.Header.Get("Location"))
	fmt.Printf("%+v\n", order)
	fmt.Printf("%+v\n", s.Stats())
	// Output:
	// 201 /api/orders/ord-1
	// {ID:ord-1 Status:accepted Item:tea Qty:2 Account:ada@shop.example}
	// {Requests:2 Logins:1 LoginFailures:0 AccountViews:0 OrdersAccepted:1 OrdersRejected:0 Lookups:0 LookupMisses:0 BadTokens:0 BadRequests:0}
}
