package guanxi

import (
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in minor units (fen for CNY, cents for USD). Sums of
// money are exact; floating point never touches an amount.
type Money int64

// ParseMoney reads a decimal amount such as "1,234.5", "-12.30", "¥88",
// "￥88.00" or "$5" into minor units, with two decimal places. More than two
// decimals are rounded half away from zero (the UCI data set has prices such
// as 0.165). Thousands separators and a leading currency sign are accepted.
func ParseMoney(s string) (Money, error) {
	t := strings.TrimSpace(s)
	for _, p := range []string{"¥", "￥", "$", "£", "€", "CNY", "RMB", "USD"} {
		t = strings.TrimPrefix(t, p)
	}
	t = strings.TrimSpace(strings.ReplaceAll(t, ",", ""))
	if t == "" {
		return 0, fmt.Errorf("empty amount")
	}
	neg := false
	switch t[0] {
	case '-':
		neg, t = true, t[1:]
	case '+':
		t = t[1:]
	}
	intPart, frac, hasDot := strings.Cut(t, ".")
	if intPart == "" && (!hasDot || frac == "") {
		return 0, fmt.Errorf("%q is not an amount", s)
	}
	if intPart == "" {
		intPart = "0"
	}
	if !allDigits(intPart) || (hasDot && !allDigits(frac)) || len(intPart) > 15 {
		return 0, fmt.Errorf("%q is not an amount", s)
	}
	whole, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an amount", s)
	}
	var cents int64
	switch {
	case len(frac) == 0:
	case len(frac) == 1:
		cents = int64(frac[0]-'0') * 10
	default:
		cents = int64(frac[0]-'0')*10 + int64(frac[1]-'0')
		if len(frac) > 2 && frac[2] >= '5' {
			cents++
		}
	}
	v := whole*100 + cents
	if neg {
		v = -v
	}
	return Money(v), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MulQty returns m × q for a quantity q, exactly.
func (m Money) MulQty(q int64) Money { return Money(int64(m) * q) }

// String formats the amount with two decimals and no currency: "-12.30".
func (m Money) String() string {
	v := int64(m)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Float returns the amount in major units, for analytics only.
func (m Money) Float() float64 { return float64(m) / 100 }
