package clv

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// FitStats describes how an optimisation went.
type FitStats struct {
	Iterations  int  // BFGS major iterations of the accepted run
	Evaluations int  // likelihood evaluations over all runs
	Converged   bool // the gradient or function-value criterion was met
}

// objective returns the mean negative log-likelihood at log-parameters theta
// and writes its gradient into grad.
type objective func(theta, grad []float64) float64

// cached wraps an objective so gonum's separate Func and Grad calls at the
// same point evaluate the sums once.
type cached struct {
	f     objective
	x, g  []float64
	v     float64
	valid bool
	evals int
}

func (c *cached) at(x []float64) {
	if c.valid && slices.Equal(x, c.x) {
		return
	}
	c.x = append(c.x[:0], x...)
	if c.g == nil {
		c.g = make([]float64, len(x))
	}
	c.v = c.f(x, c.g)
	c.evals++
	if !finite(c.v) {
		c.v = math.Inf(1)
	}
	c.valid = true
}

// minimize runs BFGS from each start in turn until one converges and returns
// the best point found.
func minimize(f objective, starts ...[]float64) ([]float64, float64, FitStats, error) {
	var best []float64
	bestF := math.Inf(1)
	var st FitStats
	var lastErr error
	c := &cached{f: f}
	for _, x0 := range starts {
		p := optimize.Problem{
			Func: func(x []float64) float64 { c.at(x); return c.v },
			Grad: func(g, x []float64) { c.at(x); copy(g, c.g) },
		}
		settings := &optimize.Settings{
			GradientThreshold: 1e-7,
			MajorIterations:   1000,
			Converger:         &optimize.FunctionConverge{Absolute: 1e-13, Relative: 1e-13, Iterations: 50},
		}
		res, err := optimize.Minimize(p, x0, settings, &optimize.BFGS{})
		if res == nil {
			lastErr = err
			continue
		}
		ok := err == nil && (res.Status == optimize.GradientThreshold || res.Status == optimize.FunctionConvergence)
		if !ok && err == nil {
			err = errors.New(res.Status.String())
		}
		if err != nil {
			lastErr = err
		}
		if finite(res.F) && allFinite(res.X) && (res.F < bestF || (ok && !st.Converged)) {
			best, bestF = res.X, res.F
			st.Iterations = res.Stats.MajorIterations
			st.Converged = ok
		}
		if ok {
			break
		}
	}
	st.Evaluations = c.evals
	if best == nil {
		return nil, 0, st, fmt.Errorf("optimiser found no finite optimum: %w", lastErr)
	}
	return best, bestF, st, nil
}

func allFinite(v []float64) bool {
	for _, x := range v {
		if !finite(x) {
			return false
		}
	}
	return true
}

// parallelSum splits [0, n) into one chunk per CPU and adds up what fn
// returns for each chunk: the value and len(grad) partial derivatives.
func parallelSum(n int, grad []float64, fn func(lo, hi int, grad []float64) float64) float64 {
	return parallelSumMin(n, 20000, grad, fn)
}

func parallelSumMin(n, minItems int, grad []float64, fn func(lo, hi int, grad []float64) float64) float64 {
	workers := runtime.GOMAXPROCS(0)
	if n < minItems || workers < 2 {
		clear(grad)
		return fn(0, n, grad)
	}
	vals := make([]float64, workers)
	grads := make([][]float64, workers)
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for w := range workers {
		lo, hi := w*chunk, min(n, (w+1)*chunk)
		grads[w] = make([]float64, len(grad))
		wg.Go(func() { vals[w] = fn(lo, hi, grads[w]) })
	}
	wg.Wait()
	clear(grad)
	total := 0.0
	for w := range workers {
		total += vals[w]
		for j := range grad {
			grad[j] += grads[w][j]
		}
	}
	return total
}

// logAddExp returns log(exp(a)+exp(b)) and the weight exp(b)/(exp(a)+exp(b)).
func logAddExp(a, b float64) (float64, float64) {
	if math.IsInf(b, -1) {
		return a, 0
	}
	if a >= b {
		e := math.Exp(b - a)
		return a + math.Log1p(e), e / (1 + e)
	}
	e := math.Exp(a - b)
	return b + math.Log1p(e), 1 / (1 + e)
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// parallelSumSmall is parallelSum for expensive per-item work: it splits
// from 2,000 items on.
func parallelSumSmall(n int, grad []float64, fn func(lo, hi int, grad []float64) float64) float64 {
	return parallelSumMin(n, 2000, grad, fn)
}

// newtonPolish takes Newton steps on f from x0 with the Hessian of approx
// at x0 (by central differences of its gradient), as long as they lower f,
// and returns the last point. approx is a cheap stand-in for f, e.g. f on a
// subsample, whose optimum x0 is close to f's, so that each step cuts the
// distance to the optimum by a large factor at one evaluation of f.
func newtonPolish(f, approx objective, x0 []float64) ([]float64, int) {
	n := len(x0)
	h := mat.NewSymDense(n, nil)
	gu, gd := make([]float64, n), make([]float64, n)
	for j := range n {
		const step = 1e-4
		xu, xd := slices.Clone(x0), slices.Clone(x0)
		xu[j] += step
		xd[j] -= step
		approx(xu, gu)
		approx(xd, gd)
		for i := 0; i <= j; i++ {
			// symmetrise: this sets (i, j) once from column j's differences
			h.SetSym(i, j, (gu[i]-gd[i])/(2*step))
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(h) {
		return x0, 0
	}
	x := slices.Clone(x0)
	g := make([]float64, n)
	fx := f(x, g)
	evals := 1
	d := mat.NewVecDense(n, nil)
	for range 8 {
		if floats.Norm(g, math.Inf(1)) < 1e-7 { // minimize's GradientThreshold
			break
		}
		if !finite(fx) || chol.SolveVecTo(d, mat.NewVecDense(n, slices.Clone(g))) != nil {
			break
		}
		next := make([]float64, n)
		for i := range n {
			next[i] = x[i] - d.AtVec(i)
		}
		gn := make([]float64, n)
		fn := f(next, gn)
		evals++
		if !(fn < fx) {
			break
		}
		x, fx, g = next, fn, gn
	}
	return x, evals
}
