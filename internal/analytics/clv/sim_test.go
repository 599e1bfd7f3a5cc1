package clv

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// simulateBGNBD draws n customers from a BG/NBD process with T uniform in
// [30, 78] weeks, and for the repeat buyers a Gamma-Gamma mean spend.
func simulateBGNBD(n int, seed uint64, r, alpha, a, b float64, gp, gq, gg float64) (Data, Spend) {
	src := rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	rng := rand.New(src)
	lam := distuv.Gamma{Alpha: r, Beta: alpha, Src: src}
	drop := distuv.Beta{Alpha: a, Beta: b, Src: src}
	nu := distuv.Gamma{Alpha: gq, Beta: gg, Src: src}
	d := Data{X: make([]float64, n), Tx: make([]float64, n), T: make([]float64, n)}
	var s Spend
	for i := range n {
		T := 30 + 48*rng.Float64()
		l, p := lam.Rand(), drop.Rand()
		t, x, tx := 0.0, 0, 0.0
		for {
			t += rng.ExpFloat64() / l
			if t > T {
				break
			}
			x++
			tx = t
			if rng.Float64() < p {
				break
			}
		}
		d.X[i], d.Tx[i], d.T[i] = float64(x), tx, T
		if x > 0 && gp > 0 {
			z := distuv.Gamma{Alpha: gp, Beta: nu.Rand(), Src: src}
			sum := 0.0
			for range x {
				sum += z.Rand()
			}
			s.X = append(s.X, float64(x))
			s.M = append(s.M, sum/float64(x))
		}
	}
	return d, s
}

// simulatePareto draws n customers from a Pareto/NBD process, T uniform in
// [30, 78] weeks.
func simulatePareto(n int, seed uint64, r, alpha, s, beta float64) Data {
	src := rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	rng := rand.New(src)
	lam := distuv.Gamma{Alpha: r, Beta: alpha, Src: src}
	mu := distuv.Gamma{Alpha: s, Beta: beta, Src: src}
	d := Data{X: make([]float64, n), Tx: make([]float64, n), T: make([]float64, n)}
	for i := range n {
		T := 30 + 48*rng.Float64()
		l := lam.Rand()
		end := min(T, rng.ExpFloat64()/mu.Rand())
		t, x, tx := 0.0, 0, 0.0
		for {
			t += rng.ExpFloat64() / l
			if t > end {
				break
			}
			x++
			tx = t
		}
		d.X[i], d.Tx[i], d.T[i] = float64(x), tx, T
	}
	return d
}
