// Command compare checks two RFM CSVs (customer_id,recency_days,frequency,
// monetary,r,f,m, extra columns ignored) row by row on customer_id:
//
//	go run ./bench/analyze/compare GUANXI.csv DUCKDB.csv
//
// monetary is compared in cents; the other five as integers. It prints the
// number of customers on each side and of differing rows, with the first
// differences, and exits 1 when anything differs (2 on a read error).
package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

var fields = []string{"recency_days", "frequency", "monetary", "r", "f", "m"}

type row [6]int64

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: compare A.csv B.csv")
		os.Exit(2)
	}
	a, err := load(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(2)
	}
	b, err := load(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(2)
	}
	const show = 10
	var diffs []string
	differing, onlyA, onlyB := 0, 0, 0
	perField := make([]int, len(fields))
	ids := make([]string, 0, len(a))
	for id := range a {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		ra := a[id]
		rb, ok := b[id]
		if !ok {
			onlyA++
			if len(diffs) < show {
				diffs = append(diffs, fmt.Sprintf("  %s only in %s: %s", id, os.Args[1], fmtRow(ra)))
			}
			continue
		}
		if ra != rb {
			differing++
			for k := range fields {
				if ra[k] != rb[k] {
					perField[k]++
				}
			}
			if len(diffs) < show {
				diffs = append(diffs, fmt.Sprintf("  %s: %s vs %s", id, fmtRow(ra), fmtRow(rb)))
			}
		}
	}
	for id, rb := range b {
		if _, ok := a[id]; !ok {
			onlyB++
			if len(diffs) < show {
				diffs = append(diffs, fmt.Sprintf("  %s only in %s: %s", id, os.Args[2], fmtRow(rb)))
			}
		}
	}
	fmt.Printf("customers: %d in %s, %d in %s; differing rows: %d; only in the first: %d; only in the second: %d\n",
		len(a), os.Args[1], len(b), os.Args[2], differing, onlyA, onlyB)
	if differing+onlyA+onlyB == 0 {
		fmt.Println("identical recency_days, frequency, monetary, r, f, m for every customer")
		return
	}
	var per []string
	for k, f := range fields {
		if perField[k] > 0 {
			per = append(per, fmt.Sprintf("%s %d", f, perField[k]))
		}
	}
	if len(per) > 0 {
		fmt.Println("rows differing per field:", strings.Join(per, ", "))
	}
	fmt.Println("first differences (recency_days,frequency,monetary cents,r,f,m):")
	for _, d := range diffs {
		fmt.Println(d)
	}
	os.Exit(1)
}

func fmtRow(r row) string {
	s := make([]string, len(r))
	for i, v := range r {
		s[i] = strconv.FormatInt(v, 10)
	}
	return strings.Join(s, ",")
}

func load(name string) (map[string]row, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	idCol, ok := col["customer_id"]
	if !ok {
		return nil, fmt.Errorf("%s: no customer_id column", name)
	}
	idx := make([]int, len(fields))
	for k, fl := range fields {
		i, ok := col[fl]
		if !ok {
			return nil, fmt.Errorf("%s: no %s column", name, fl)
		}
		idx[k] = i
	}
	out := make(map[string]row)
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		var r row
		for k, i := range idx {
			var v int64
			if fields[k] == "monetary" {
				v, err = cents(rec[i])
			} else {
				v, err = strconv.ParseInt(strings.TrimSpace(rec[i]), 10, 64)
			}
			if err != nil {
				return nil, fmt.Errorf("%s line %d: %s %q: %v", name, line, fields[k], rec[i], err)
			}
			r[k] = v
		}
		id := rec[idCol]
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("%s line %d: customer %s appears twice", name, line, id)
		}
		out[id] = r
	}
}

// cents reads a decimal amount such as -12.5 or 128.00 exactly, in cents.
func cents(s string) (int64, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	ip, fp, _ := strings.Cut(s, ".")
	if ip == "" || len(fp) > 2 {
		return 0, errors.New("not an amount with at most two decimals")
	}
	i, err := strconv.ParseInt(ip, 10, 64)
	if err != nil {
		return 0, err
	}
	var f int64
	if fp != "" {
		if f, err = strconv.ParseInt((fp + "0")[:2], 10, 64); err != nil {
			return 0, err
		}
	}
	v := i*100 + f
	if neg {
		v = -v
	}
	return v, nil
}
