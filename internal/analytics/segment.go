package analytics

// CNSegment is a class of the Chinese 8-class RFM model (RFM 八大客户类型).
type CNSegment uint8

// The eight classes, by whether recency (R), frequency (F) and monetary (M)
// are better than the shop mean (↑) or not (↓).
const (
	ImportantValue       CNSegment = iota // 重要价值客户 R↑F↑M↑
	ImportantDevelopment                  // 重要发展客户 R↑F↓M↑
	ImportantKeep                         // 重要保持客户 R↓F↑M↑
	ImportantRetain                       // 重要挽留客户 R↓F↓M↑
	GeneralValue                          // 一般价值客户 R↑F↑M↓
	GeneralDevelopment                    // 一般发展客户 R↑F↓M↓
	GeneralKeep                           // 一般保持客户 R↓F↑M↓
	GeneralRetain                         // 一般挽留客户 R↓F↓M↓
)

var cnSegmentNames = [...][2]string{
	ImportantValue:       {"重要价值客户", "Important value"},
	ImportantDevelopment: {"重要发展客户", "Important development"},
	ImportantKeep:        {"重要保持客户", "Important keep"},
	ImportantRetain:      {"重要挽留客户", "Important retain"},
	GeneralValue:         {"一般价值客户", "General value"},
	GeneralDevelopment:   {"一般发展客户", "General development"},
	GeneralKeep:          {"一般保持客户", "General keep"},
	GeneralRetain:        {"一般挽留客户", "General retain"},
}

// NameZH returns the class's zh-CN name, as in the segment_cn CSV column.
func (s CNSegment) NameZH() string { return cnSegmentNames[s][0] }

// NameEN returns the class's English name.
func (s CNSegment) NameEN() string { return cnSegmentNames[s][1] }

// cnByBits maps rHigh<<2 | fHigh<<1 | mHigh to the class.
var cnByBits = [8]CNSegment{
	0b000: GeneralRetain,
	0b001: ImportantRetain,
	0b010: GeneralKeep,
	0b011: ImportantKeep,
	0b100: GeneralDevelopment,
	0b101: ImportantDevelopment,
	0b110: GeneralValue,
	0b111: ImportantValue,
}

// CNSegments classifies every customer in the Chinese 8-class model, against
// the means over all of c's customers, with strict comparisons so a value
// equal to the mean is never "high":
//
//	R high ⇔ recency_days < mean recency_days  (more recent than average)
//	F high ⇔ frequency    > mean frequency
//	M high ⇔ monetary     > mean monetary
//
// A shop of one customer (every value equals its mean) is 一般挽留客户.
func CNSegments(c *Customers) []CNSegment {
	n := c.Len()
	out := make([]CNSegment, n)
	if n == 0 {
		return out
	}
	var sr, sf, sm int64
	for i := range n {
		sr += int64(c.RecencyDays[i])
		sf += int64(c.Frequency[i])
		sm += c.Monetary[i]
	}
	// v < sum/N ⇔ v*N < sum; the products are computed in float64 where int64
	// could overflow (monetary), exact for |v*N| < 2^53.
	fn := float64(n)
	for i := range n {
		bits := 0
		if float64(c.RecencyDays[i])*fn < float64(sr) {
			bits |= 0b100
		}
		if float64(c.Frequency[i])*fn > float64(sf) {
			bits |= 0b010
		}
		if float64(c.Monetary[i])*fn > float64(sm) {
			bits |= 0b001
		}
		out[i] = cnByBits[bits]
	}
	return out
}

// Segment is a segment of the 11-segment RFM map.
type Segment uint8

// The 11 segments.
const (
	Champions Segment = iota
	Loyal
	PotentialLoyalist
	New
	Promising
	NeedAttention
	AboutToSleep
	AtRisk
	CantLoseThem
	Hibernating
	Lost
)

var segmentNames = [...][2]string{
	Champions:         {"冠军客户", "Champions"},
	Loyal:             {"忠诚客户", "Loyal"},
	PotentialLoyalist: {"潜力客户", "Potential Loyalist"},
	New:               {"新客户", "New"},
	Promising:         {"有望客户", "Promising"},
	NeedAttention:     {"需要关注", "Need Attention"},
	AboutToSleep:      {"即将沉睡", "About to Sleep"},
	AtRisk:            {"有流失风险", "At Risk"},
	CantLoseThem:      {"不能失去", "Can't Lose Them"},
	Hibernating:       {"休眠客户", "Hibernating"},
	Lost:              {"已流失", "Lost"},
}

// NameZH returns the segment's zh-CN name.
func (s Segment) NameZH() string { return segmentNames[s][0] }

// NameEN returns the segment's English name, as in the segment CSV column.
func (s Segment) NameEN() string { return segmentNames[s][1] }

// Segments is every segment in the map's order.
var Segments = []Segment{Champions, Loyal, PotentialLoyalist, New, Promising, NeedAttention,
	AboutToSleep, AtRisk, CantLoseThem, Hibernating, Lost}

// segmentGrid is the widely reproduced R × FM chart of 11 segments (R on one
// axis, the mean of F and M on the other, both drawn 0–5), as tabulated for
// example in docs.churned.io "RFM-Model" (Champions R 4–5 × FM 4–5, Loyal
// 2–5 × 3–5, Potential Loyalist 3–5 × 1–3, New 4–5 × 0–1, Need Attention
// 2–3 × 2–3, At Risk 0–2 × 2–5, Hibernating 1–2 × 1–2, Lost 0–2 × 0–2); the
// chart's other three areas are Promising 3–4 × 0–1, About to Sleep 2–3 × 0–2
// and Can't Lose Them 0–1 × 4–5. Score s occupies the unit cell (s−1, s];
// where areas overlap the smaller one takes the cell (Champions inside Loyal,
// Can't Lose Them inside At Risk, Hibernating inside Lost), which gives one
// segment per cell:
//
//	FM\R   1              2            3               4                   5
//	5      Can't Lose     At Risk      Loyal           Loyal               Champions
//	4      At Risk        At Risk      Loyal           Loyal               Loyal
//	3      At Risk        At Risk      Need Attention  Potential Loyalist  Potential Loyalist
//	2      Lost           Hibernating  About to Sleep  Potential Loyalist  Potential Loyalist
//	1      Lost           Lost         About to Sleep  Promising           New
var segmentGrid = [5][5]Segment{ // [FM-1][R-1]
	{Lost, Lost, AboutToSleep, Promising, New},
	{Lost, Hibernating, AboutToSleep, PotentialLoyalist, PotentialLoyalist},
	{AtRisk, AtRisk, NeedAttention, PotentialLoyalist, PotentialLoyalist},
	{AtRisk, AtRisk, Loyal, Loyal, Loyal},
	{CantLoseThem, AtRisk, Loyal, Loyal, Champions},
}

// SegmentOf returns the 11-segment map's segment for scores r, f and m
// (each 1–5). FM is (f+m)/2 rounded up — a half score falls in the cell
// (s−1, s] of the grid above — so FM = ceil((f+m)/2). Scores outside 1–5
// are clamped.
func SegmentOf(r, f, m uint8) Segment {
	r = min(max(r, 1), 5)
	f = min(max(f, 1), 5)
	m = min(max(m, 1), 5)
	fm := (f + m + 1) / 2
	return segmentGrid[fm-1][r-1]
}
