package shop

import (
	"bytes"
	"encoding/csv"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReadAccounts(t *testing.T) {
	cases := []struct {
		name    string
		csv     string
		want    []Account
		wantErr []string // each must be in the error
	}{
		{
			name: "plain",
			csv:  "email,password,name\na@x.example,pw-a,A\nb@x.example,pw-b,B\n",
			want: []Account{{"a@x.example", "pw-a", "A"}, {"b@x.example", "pw-b", "B"}},
		},
		{
			name: "columns in another order, extra ones, BOM, CRLF, quotes",
			csv:  "\ufeffName , Email,tier,PASSWORD\r\n\"Smith, Ann\",ann@x.example,gold,\"p,w\"\"1\"\r\n",
			want: []Account{{"ann@x.example", `p,w"1`, "Smith, Ann"}},
		},
		{name: "empty", csv: "", wantErr: []string{"row 1: empty"}},
		{name: "header only", csv: "email,password,name\n", wantErr: []string{"row 2: no accounts"}},
		{
			name:    "missing columns",
			csv:     "email,pass\na@x.example,pw\n",
			wantErr: []string{`row 1: no column "password"`, `row 1: no column "name"`},
		},
		{
			name:    "column named twice",
			csv:     "email,password,name,email\na@x.example,pw,A,b@x.example\n",
			wantErr: []string{"row 1, column 4 (email): the column is named twice"},
		},
		{
			name:    "empty password",
			csv:     "email,password,name\na@x.example,pw,A\nb@x.example,,B\n",
			wantErr: []string{"row 3, column 2 (password): empty"},
		},
		{
			name:    "blank name",
			csv:     "email,password,name\na@x.example,pw,  \n",
			wantErr: []string{"row 2, column 3 (name): empty"},
		},
		{
			name:    "short row",
			csv:     "email,password,name\na@x.example,pw\n",
			wantErr: []string{"row 2, column 3 (name): missing"},
		},
		{
			name:    "long row",
			csv:     "email,password,name\na@x.example,pw,A,extra\n",
			wantErr: []string{"row 2, column 4: beyond the header's 3 columns"},
		},
		{
			name:    "not an email",
			csv:     "email,password,name\nada,pw,A\nad a@x.example,pw,B\na@b@c,pw,C\n",
			wantErr: []string{"row 2, column 1 (email)", "row 3, column 1 (email)", "row 4, column 1 (email)"},
		},
		{
			name:    "duplicate email",
			csv:     "email,password,name\na@x.example,pw1,A\nb@x.example,pw2,B\na@x.example,pw3,C\n",
			wantErr: []string{`row 4, column 1 (email): "a@x.example" already on row 2`},
		},
		{
			name:    "invalid UTF-8",
			csv:     "email,password,name\na@x.example,pw,\xff\n",
			wantErr: []string{"row 2, column 3 (name): not valid UTF-8"},
		},
		{
			name:    "bad quoting",
			csv:     "email,password,name\na@x.example,pw,A\nb@x.example,p\"w,B\n",
			wantErr: []string{"row 3: ", "column 14"},
		},
		{
			name:    "every problem at once",
			csv:     "email,password,name\n,pw,A\nb@x.example,,B\nc@x.example,pw,\n",
			wantErr: []string{"row 2, column 1", "row 3, column 2", "row 4, column 3"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadAccounts(strings.NewReader(tc.csv))
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want one; got %+v", got)
				}
				for _, want := range tc.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("account %d: got %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestReadAccountsBoundsItsProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("email,password,name\n")
	for range 100 {
		b.WriteString("x,,\n")
	}
	_, err := ReadAccounts(strings.NewReader(b.String()))
	if err == nil {
		t.Fatal("no error")
	}
	if got, want := strings.Count(err.Error(), "\n")+1, maxProblems+1; got != want {
		t.Errorf("%d lines of error, want %d", got, want)
	}
	if !strings.Contains(err.Error(), "and 280 more problems") {
		t.Errorf("error does not say how many more: …%s", err.Error()[len(err.Error())-60:])
	}
}

func TestAccountsFile(t *testing.T) {
	f, err := os.Open("accounts.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	accounts, err := ReadAccounts(f)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(accounts), 250; got != want {
		t.Fatalf("%d accounts, want %d", got, want)
	}
	emails, passwords := map[string]bool{}, map[string]bool{}
	for _, a := range accounts {
		emails[a.Email], passwords[a.Password] = true, true
	}
	if len(emails) != 250 || len(passwords) != 250 {
		t.Errorf("%d distinct emails and %d distinct passwords, want 250 of each", len(emails), len(passwords))
	}
}

// FuzzReadAccounts holds ReadAccounts to its promises on any input: no
// panic; an error names a row; accounts it returns are complete, unique,
// and read back the same once written out again.
func FuzzReadAccounts(f *testing.F) {
	f.Add([]byte("email,password,name\na@x.example,pw-a,A\nb@x.example,pw-b,B\n"))
	f.Add([]byte("\ufeffname,email,password,x\r\n\"Smith, Ann\",ann@x.example,\"p\"\"w\",\n"))
	f.Add([]byte("email,password,name\na@x.example,,A\na@x.example,pw,B,C\n\"unterminated\n"))
	f.Add([]byte("email,email\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		accounts, err := ReadAccounts(bytes.NewReader(data))
		if err != nil {
			if !strings.Contains(err.Error(), "row ") {
				t.Fatalf("error names no row: %v", err)
			}
			return
		}
		if len(accounts) == 0 {
			t.Fatal("no accounts and no error")
		}
		seen := map[string]bool{}
		for _, a := range accounts {
			for _, field := range []string{a.Email, a.Password, a.Name} {
				if strings.TrimSpace(field) == "" || !utf8.ValidString(field) {
					t.Fatalf("account %+v has an empty or invalid field", a)
				}
			}
			if seen[a.Email] {
				t.Fatalf("email %q twice", a.Email)
			}
			seen[a.Email] = true
		}

		var out bytes.Buffer
		w := csv.NewWriter(&out)
		_ = w.Write(accountColumns)
		for _, a := range accounts {
			_ = w.Write([]string{a.Email, a.Password, a.Name})
		}
		w.Flush()
		again, err := ReadAccounts(&out)
		if err != nil {
			t.Fatalf("written back, the accounts do not read: %v\n%q", err, out.String())
		}
		if len(again) != len(accounts) {
			t.Fatalf("%d accounts read back, want %d", len(again), len(accounts))
		}
		for i := range again {
			if again[i] != accounts[i] {
				t.Fatalf("account %d read back as %+v, want %+v", i, again[i], accounts[i])
			}
		}
	})
}
