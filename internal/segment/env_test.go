package segment

import "time"

var (
	shanghai = time.FixedZone("CST", 8*3600)
	now      = time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
)
