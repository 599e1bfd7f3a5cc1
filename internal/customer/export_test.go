package customer

// SetSearchLimits sets the search's walk threshold and count cap for a test
// and returns what puts them back.
func SetSearchLimits(walk, cap int) (restore func()) {
	w, c := walkAbove, countCap
	walkAbove, countCap = walk, cap
	return func() { walkAbove, countCap = w, c }
}
