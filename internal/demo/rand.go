package demo

import (
	"math"
	"math/rand/v2"
)

// Streams of randomness. Each customer draws from streams of their own, so a
// customer's life does not change when another's does, and calibration can
// replay a customer's purchases at another rate.
const (
	streamSetup    = 1 // acquisition day, rate, dropout
	streamPurchase = 2 // dropout coin flips and inter-purchase gaps
	streamIdentity = 3 // name, contact, address, channels, times of day
	streamOrders   = 4 // order contents and statuses, in emission order
	streamTrim     = 5
)

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// reseed points src at stream tag of item i for seed.
func reseed(src *rand.PCG, seed int64, tag, i uint64) {
	a := splitmix(uint64(seed) ^ splitmix(tag))
	src.Seed(a, splitmix(a^splitmix(i+0x51ed2701)))
}

// newRand returns a generator on stream tag of item i for seed.
func newRand(seed int64, tag, i uint64) (*rand.Rand, *rand.PCG) {
	src := rand.NewPCG(0, 0)
	reseed(src, seed, tag, i)
	return rand.New(src), src
}

// gamma draws from Gamma(shape, 1) (Marsaglia and Tsang).
func gamma(r *rand.Rand, shape float64) float64 {
	if shape < 1 {
		return gamma(r, shape+1) * math.Pow(r.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// beta draws from Beta(a, b).
func beta(r *rand.Rand, a, b float64) float64 {
	x := gamma(r, a)
	y := gamma(r, b)
	if x+y == 0 {
		return 0.5
	}
	return x / (x + y)
}

// cumulative returns the running sums of w.
func cumulative(w []float64) []float64 {
	cum := make([]float64, len(w))
	s := 0.0
	for i, v := range w {
		s += v
		cum[i] = s
	}
	return cum
}

// pick draws an index with probability proportional to the weights whose
// running sums are cum.
func pick(r *rand.Rand, cum []float64) int {
	return search(cum, r.Float64()*cum[len(cum)-1])
}

// search returns the first index whose running sum exceeds u.
func search(cum []float64, u float64) int {
	lo, hi := 0, len(cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if cum[mid] > u {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// digits appends n random decimal digits to b.
func digits(r *rand.Rand, b []byte, n int) []byte {
	for range n {
		b = append(b, byte('0'+r.IntN(10)))
	}
	return b
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// opaque returns prefix followed by n random URL-safe base64 characters.
func opaque(r *rand.Rand, prefix string, n int) string {
	b := make([]byte, 0, len(prefix)+n)
	b = append(b, prefix...)
	for range n {
		b = append(b, idAlphabet[r.IntN(len(idAlphabet))])
	}
	return string(b)
}
