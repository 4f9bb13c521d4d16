package shop

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Account is one user who can log in to the shop.
type Account struct {
	Email    string
	Password string
	Name     string
}

// accountColumns are the header names ReadAccounts needs, in the order
// Account holds them.
var accountColumns = []string{"email", "password", "name"}

// maxProblems bounds the problems ReadAccounts lists: a file that is wrong
// on every row needs the first few, not a million lines.
const maxProblems = 20

// ReadAccounts reads accounts from CSV with a header row naming the columns
// email, password and name (in any order; other columns are ignored). Rows
// are numbered by the line they start on, so the header is row 1; columns
// from 1, as a spreadsheet shows them. Every field must be non-empty valid
// UTF-8, an email must look like one (local@domain, no spaces) and appear
// once. Every problem is reported at once, each naming its row and column.
func ReadAccounts(r io.Reader) ([]Account, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // short and long rows are reported below, by column
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("read accounts: row 1: empty, want the header email,password,name")
	}
	if err != nil {
		return nil, fmt.Errorf("read accounts: row 1: %w", err)
	}
	cols, err := accountHeader(header)
	if err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}

	var (
		accounts []Account
		problems problemList
		seen     = map[string]int{} // email → the row it was first on
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A quoting error leaves the reader at an unknown place: stop.
			var pe *csv.ParseError
			row := 0
			if errors.As(err, &pe) {
				row = pe.StartLine
			}
			problems.add(fmt.Errorf("row %d: %w", row, err))
			break
		}
		row, _ := cr.FieldPos(0)
		acc, ok := readAccount(rec, row, len(header), cols, &problems)
		if !ok {
			continue
		}
		if first, dup := seen[acc.Email]; dup {
			problems.add(fmt.Errorf("row %d, column %d (email): %q already on row %d", row, cols[0]+1, acc.Email, first))
			continue
		}
		seen[acc.Email] = row
		accounts = append(accounts, acc)
	}
	if err := problems.err(); err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	if len(accounts) == 0 {
		return nil, errors.New("read accounts: row 2: no accounts after the header")
	}
	return accounts, nil
}

// accountHeader finds the column index of each of accountColumns.
func accountHeader(header []string) ([]int, error) {
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // spreadsheets write a BOM
	}
	at := map[string]int{}
	var problems problemList
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue // an unnamed column is one more column to ignore
		}
		if _, dup := at[name]; dup {
			problems.add(fmt.Errorf("row 1, column %d (%s): the column is named twice", i+1, name))
			continue
		}
		at[name] = i
	}
	cols := make([]int, len(accountColumns))
	for j, name := range accountColumns {
		i, ok := at[name]
		if !ok {
			problems.add(fmt.Errorf("row 1: no column %q (want a header with email,password,name)", name))
		}
		cols[j] = i
	}
	return cols, problems.err()
}

// readAccount takes one account from rec, adding to problems whatever is
// wrong with it; ok is false when anything was.
func readAccount(rec []string, row, width int, cols []int, problems *problemList) (acc Account, ok bool) {
	ok = true
	if len(rec) > width {
		problems.add(fmt.Errorf("row %d, column %d: beyond the header's %d columns", row, width+1, width))
		ok = false
	}
	var fields [3]string
	for j, i := range cols {
		name := accountColumns[j]
		switch {
		case i >= len(rec):
			problems.add(fmt.Errorf("row %d, column %d (%s): missing", row, i+1, name))
			ok = false
		case strings.TrimSpace(rec[i]) == "":
			problems.add(fmt.Errorf("row %d, column %d (%s): empty", row, i+1, name))
			ok = false
		case !utf8.ValidString(rec[i]):
			problems.add(fmt.Errorf("row %d, column %d (%s): not valid UTF-8", row, i+1, name))
			ok = false
		case name == "email" && !looksLikeEmail(rec[i]):
			problems.add(fmt.Errorf("row %d, column %d (email): %q is not an email address", row, i+1, rec[i]))
			ok = false
		default:
			fields[j] = rec[i]
		}
	}
	return Account{Email: fields[0], Password: fields[1], Name: fields[2]}, ok
}

// looksLikeEmail is deliberately loose: the shop only needs a login name
// that survives a JSON round trip and cannot be confused with another.
func looksLikeEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" &&
		!strings.Contains(domain, "@") &&
		!strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f })
}

// problemList collects errors up to maxProblems and counts the rest.
type problemList struct {
	errs    []error
	dropped int
}

func (p *problemList) add(err error) {
	if len(p.errs) == maxProblems {
		p.dropped++
		return
	}
	p.errs = append(p.errs, err)
}

// err joins the problems, one a line, or is nil when there were none.
func (p *problemList) err() error {
	if p.dropped > 0 {
		return errors.Join(append(p.errs, fmt.Errorf("… and %d more problems", p.dropped))...)
	}
	return errors.Join(p.errs...)
}
