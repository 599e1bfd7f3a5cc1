// Package clv fits buy-till-you-die customer models and derives customer
// lifetime value from them: BG/NBD (Fader, Hardie & Lee 2005) and Pareto/NBD
// (Schmittlein, Morrison & Colombo 1987) for the number of repeat purchase
// days, and the Gamma-Gamma model (Fader, Hardie & Lee 2005, "RFM and CLV")
// for spend per purchase day.
//
// It is pure maths on slices: no database, no I/O, no global state. Inputs
// follow the model conventions of DESIGN.md: x is the number of repeat
// purchase days, t_x the time of the last purchase since the first and T the
// time from the first purchase to the as-of date, both in weeks. Parameters
// are fitted by maximum likelihood on the log scale (so they stay positive)
// with gonum's BFGS and analytic gradients.
//
// Fitted models are plain values and safe for concurrent use. Fit functions
// use up to GOMAXPROCS goroutines for the likelihood sums. Invalid or
// insufficient data is reported as a *guanxi.Error with code EINVALID whose
// message says what is missing; fits never return NaN parameters.
package clv
