package ui

import (
	"fmt"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"math"
)

// PP formats a difference of rates in percentage points with its sign:
// 0.0123 is "+1.23 pp".
func (v *view) PP(x float64) string { return fmt.Sprintf("%+.2f pp", 100*x) }

// Rate formats a rate as a percentage with two decimals.
func (v *view) Rate(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) }

// Yuan formats an amount in yuan held as a float (a statistic, not a
// ledger amount): "¥1,234.50", "-¥12.00".
func (v *view) Yuan(x float64) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return "—"
	}
	sign := ""
	if x < 0 {
		sign, x = "-", -x
	}
	s := fmt.Sprintf("%.2f", x)
	whole, frac := s[:len(s)-3], s[len(s)-3:]
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return sign + "¥" + whole + frac
}

// P formats a p-value.
func (v *view) P(p float64) string {
	if p < 0.0001 {
		return "< 0.0001"
	}
	return fmt.Sprintf("%.4f", p)
}

// Times formats a ratio such as an ROI of 2.5 as "250%".
func (v *view) Times(x float64) string { return fmt.Sprintf("%.0f%%", 100*x) }

// ROIOf formats a matrix cell's ROI, "" when it has no cost.
func (v *view) ROIOf(m campaign.MatrixCell) string {
	roi, ok := m.ROI()
	if !ok {
		return ""
	}
	return v.Times(roi)
}
