package analytics

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/guanxi-crm/guanxi"
)

// Clustering is a k-means segmentation of customers on log-scaled,
// standardised recency, frequency and spend. Cluster 0 has the highest mean
// spend; the rest follow in decreasing mean spend.
type Clustering struct {
	K          int          // number of clusters
	Silhouette float64      // mean silhouette score of the chosen K, on a sample of at most 5,000 customers
	Assign     []uint8      // cluster per customer, row-aligned with Customers
	Centers    [][3]float64 // per cluster: mean recency days, mean frequency, mean net spend in major units
	Sizes      []int        // customers per cluster
	DescZH     []string     // per cluster, e.g. "近期购买、高频、高消费"
	DescEN     []string     // per cluster, e.g. "recent, frequent, high spend"
}

const (
	clusterMinCustomers = 10
	clusterMinK         = 2
	clusterMaxK         = 8
	clusterRestarts     = 3
	clusterMaxIter      = 100
	silhouetteMax       = 5000
	clusterChunk        = 1 << 14 // rows per parallel work unit; fixed so results do not depend on the core count

	// Shops with more customers than clusterSample are fitted on a random
	// sample of that many rows, then refined on every row with at most
	// clusterRefineIter Lloyd iterations; see clustersSampled.
	clusterSample     = 20_000
	clusterRefineIter = 12
)

// Clusters segments customers by k-means on three features: log1p of recency
// days, of frequency and of net spend in major units (negative spend as 0),
// each standardised to zero mean and unit variance (a feature with no
// variance contributes 0). For each k from 2 to 8 it keeps the best of three
// k-means++-initialised Lloyd runs by inertia (each run stops when no
// assignment changes, or after 100 iterations), then chooses the k with the
// highest mean silhouette score, computed on a stratified random sample of
// at most 5,000 customers; ties go to the smaller k. Randomness comes from a
// PCG generator seeded by seed, and partial sums are combined in a fixed
// order, so the result depends only on c and seed, not on the number of
// cores. The assignment steps run in parallel for large inputs.
//
// Shops with more than 20,000 customers are fitted on a stratified random
// sample of 20,000 of them instead (k, restarts and silhouette as above,
// silhouette on 5,000 of the sampled rows); then every customer is assigned
// to the nearest of the chosen k centres and at most 12 Lloyd iterations
// over all customers refine them. See clustersSampled for why.
//
// Each cluster is described by how its centre (the means of its customers)
// compares with the shop's means: "recent" when its mean recency is below
// the shop's, otherwise "lapsed"; "frequent" when its mean frequency is
// above the shop's, otherwise "occasional"; "high spend" when its mean spend
// is above the shop's, otherwise "low spend". Means against means: against
// the median, which is 1 order in most shops, every cluster's mean would
// count as frequent.
//
// It returns a guanxi.EINVALID error for fewer than 10 customers, for
// customers that all share the same features, and for mismatched columns.
func Clusters(c *Customers, seed uint64) (Clustering, error) {
	n := len(c.RecencyDays)
	if len(c.Frequency) != n || len(c.Monetary) != n {
		return Clustering{}, guanxi.Errorf(guanxi.EINVALID,
			"clusters: mismatched columns: %d recency, %d frequency, %d monetary values",
			n, len(c.Frequency), len(c.Monetary))
	}
	if n < clusterMinCustomers {
		return Clustering{}, guanxi.Errorf(guanxi.EINVALID,
			"clusters: need at least %d customers, have %d", clusterMinCustomers, n)
	}
	pts, varied := clusterFeatures(c)
	var reps []int
	if varied {
		reps = distinctPoints(pts, clusterMaxK)
	}
	distinct := len(reps)
	if distinct < clusterMinK {
		return Clustering{}, guanxi.Errorf(guanxi.EINVALID,
			"clusters: all %d customers have the same recency, frequency and spend; there is nothing to cluster", n)
	}

	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	maxK := min(clusterMaxK, distinct)
	if n > clusterSample {
		return clustersSampled(c, pts, reps, maxK, rng), nil
	}
	assigns := make([][]uint8, 0, maxK-clusterMinK+1)
	work := make([]uint8, n)
	var sc kmScratch
	for k := clusterMinK; k <= maxK; k++ {
		best := make([]uint8, n)
		bestInertia := math.Inf(1)
		for range clusterRestarts {
			inertia := kmeans(pts, k, rng, work, &sc)
			if inertia < bestInertia {
				bestInertia = inertia
				copy(best, work)
			}
		}
		assigns = append(assigns, best)
	}

	sample := silhouetteSample(n, rng)
	scores := silhouettes(pts, sample, assigns, clusterMaxK)
	bi := 0
	for i, s := range scores {
		if s > scores[bi] {
			bi = i
		}
	}
	return describeClusters(c, assigns[bi], clusterMinK+bi, scores[bi]), nil
}

// clustersSampled is Clusters for shops with more than clusterSample
// customers; maxK is min(8, distinct points) and reps holds the first
// distinct points' rows.
//
// Why: the exact path runs 21 k-means++-initialised Lloyd runs (k = 2..8,
// three restarts each) of up to 100 iterations over every row, which takes
// 7-14 s on a million customers on two cores, while the whole-shop scoring job that
// calls this has 10 s in total. Choosing k and locating the centres are
// statistical questions whose answers a uniform sample of 20,000 rows
// already settles (the centres' sampling error is around 1/sqrt(20,000) of a
// standard deviation, far below the distance between useful segments, and
// silhouette is estimated on 5,000 rows on either path), so all the search
// runs on the sample. The full data is still used where it matters to the
// result: standardisation and the descriptions' means come from every row,
// and a bounded number of Lloyd iterations over every row moves the sample's
// centres to the full data's local optimum (they usually converge in a few
// iterations, as only rows near a boundary change cluster; Hamerly's bounds
// make the later ones cheap). On a million customers this takes about half
// a second on two cores and gives practically the same clusters. The reported silhouette is that of
// the chosen k's clustering of the sample; the refinement moves only rows
// near a boundary, so it remains a fair estimate for the returned one.
//
// The sample is stratified (one row from each of 20,000 equal strata of the
// row order), drawn from the same seeded generator, and every parallel step
// combines per-chunk partial sums in chunk order, so the result still
// depends only on c and seed.
func clustersSampled(c *Customers, pts [][3]float64, reps []int, maxK int, rng *rand.Rand) Clustering {
	n := len(pts)
	idx := stratifiedSample(n, clusterSample, rng)
	sp := make([][3]float64, len(idx), len(idx)+len(reps))
	for j, i := range idx {
		sp[j] = pts[i]
	}
	// k-means++ cannot pick more distinct centres than the sample holds;
	// when a shop is almost all one point the sample may miss the rare ones,
	// so add the first distinct points (at most 8 rows) back in.
	if len(distinctPoints(sp, maxK)) < maxK {
		for _, i := range reps {
			sp = append(sp, pts[i])
		}
	}

	// The sample is too small to split each run's steps usefully over the
	// cores (a barrier per step for two chunks), so the runs themselves run
	// in parallel, each on one core with its own generator. The generators'
	// seeds are drawn in run order from rng, so each run's result does not
	// depend on scheduling.
	m := len(sp)
	chunks := (m + clusterChunk - 1) / clusterChunk
	type kmRun struct {
		k       int
		seed    [2]uint64
		assign  []uint8
		centres [][3]float64
		inertia float64
	}
	runs := make([]kmRun, 0, (maxK-clusterMinK+1)*clusterRestarts)
	for k := clusterMinK; k <= maxK; k++ {
		for range clusterRestarts {
			runs = append(runs, kmRun{k: k, seed: [2]uint64{rng.Uint64(), rng.Uint64()}})
		}
	}
	parallelChunks(len(runs), func(r int) {
		run := &runs[r]
		rr := rand.New(rand.NewPCG(run.seed[0], run.seed[1]))
		sc := kmScratch{serial: true}
		run.assign = make([]uint8, m)
		run.centres = kmeansPlusPlus(sp, run.k, rr, chunks, true)
		run.inertia = lloyd(sp, run.centres, clusterMaxIter, run.assign, &sc)
	})
	assigns := make([][]uint8, 0, maxK-clusterMinK+1)
	centres := make([][][3]float64, 0, maxK-clusterMinK+1)
	for r := 0; r < len(runs); r += clusterRestarts {
		best := r // lowest inertia, the earliest run on ties
		for o := r + 1; o < r+clusterRestarts; o++ {
			if runs[o].inertia < runs[best].inertia {
				best = o
			}
		}
		assigns = append(assigns, runs[best].assign)
		centres = append(centres, runs[best].centres)
	}

	sub := silhouetteSample(m, rng) // rows of sp
	scores := silhouettes(sp, sub, assigns, clusterMaxK)
	bi := 0
	for i, s := range scores {
		if s > scores[bi] {
			bi = i
		}
	}

	// Refine on every row, starting from the chosen sample centres.
	assign := make([]uint8, n)
	lloyd(pts, centres[bi], clusterRefineIter, assign, &kmScratch{})
	return describeClusters(c, assign, clusterMinK+bi, scores[bi])
}

// stratifiedSample returns min(n, m) row indices, increasing: the rows split
// into that many equal strata and one row drawn from each, so the sample is
// spread over the whole input without aliasing any periodic pattern in the
// row order.
func stratifiedSample(n, m int, rng *rand.Rand) []int {
	m = min(n, m)
	idx := make([]int, m)
	for i := range m {
		lo := int(int64(i) * int64(n) / int64(m))
		hi := int(int64(i+1) * int64(n) / int64(m))
		idx[i] = lo + rng.IntN(hi-lo)
	}
	return idx
}

// clusterFeatures returns the standardised features per customer and whether
// any feature varies. The per-row work runs in parallel; the sums stay
// sequential, so the features are bit-for-bit those of a plain loop.
func clusterFeatures(c *Customers) ([][3]float64, bool) {
	n := len(c.RecencyDays)
	pts := make([][3]float64, n)
	chunks := (n + clusterChunk - 1) / clusterChunk
	tab := log1pTable()
	parallelChunks(chunks, func(ch int) {
		lo, hi := chunkBounds(ch, n)
		for i := lo; i < hi; i++ {
			pts[i] = [3]float64{
				log1pInt(tab, c.RecencyDays[i]),
				log1pInt(tab, c.Frequency[i]),
				math.Log1p(float64(max(c.Monetary[i], 0)) / 100),
			}
		}
	})
	var mean, sd [3]float64
	varied := false
	for f := range 3 {
		var m float64
		for i := range pts {
			m += pts[i][f]
		}
		m /= float64(n)
		var ss float64
		for i := range pts {
			d := pts[i][f] - m
			ss += d * d
		}
		mean[f], sd[f] = m, math.Sqrt(ss/float64(n))
		if sd[f] > 1e-9 {
			varied = true
		}
	}
	parallelChunks(chunks, func(ch int) {
		lo, hi := chunkBounds(ch, n)
		for f := range 3 {
			if sd[f] <= 1e-9 {
				for i := lo; i < hi; i++ {
					pts[i][f] = 0
				}
				continue
			}
			for i := lo; i < hi; i++ {
				pts[i][f] = (pts[i][f] - mean[f]) / sd[f]
			}
		}
	})
	return pts, varied
}

// log1pTable holds math.Log1p of 0..4095. Recency days and order counts are
// almost always below 4096, and looking their logarithms up rather than
// computing them takes a good part of the features' cost off a large shop,
// with the same values.
var log1pTable = sync.OnceValue(func() *[4096]float64 {
	var t [4096]float64
	for i := range t {
		t[i] = math.Log1p(float64(i))
	}
	return &t
})

// log1pInt returns math.Log1p(max(v, 0)), from tab when v is small.
func log1pInt(tab *[4096]float64, v int32) float64 {
	if v <= 0 {
		return 0
	}
	if v < int32(len(tab)) {
		return tab[v]
	}
	return math.Log1p(float64(v))
}

// distinctPoints returns the index of the first occurrence of each distinct
// point, in order, stopping at limit of them.
func distinctPoints(pts [][3]float64, limit int) []int {
	seen := make(map[[3]float64]struct{}, limit)
	var first []int
	for i, p := range pts {
		if _, ok := seen[p]; ok {
			continue
		}
		seen[p] = struct{}{}
		first = append(first, i)
		if len(first) >= limit {
			break
		}
	}
	return first
}

// parallelChunks calls fn for each chunk 0..chunks-1, spread over the
// available cores. Callers store per-chunk results and combine them in chunk
// order, which keeps floating-point sums independent of scheduling.
func parallelChunks(chunks int, fn func(chunk int)) {
	runChunks(false, chunks, fn)
}

// runChunks is parallelChunks, or a plain loop over the chunks when serial
// (for work that is itself one of several running in parallel).
func runChunks(serial bool, chunks int, fn func(chunk int)) {
	workers := min(runtime.GOMAXPROCS(0), chunks)
	if serial || workers <= 1 {
		for i := range chunks {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= chunks {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}

func chunkBounds(chunk, n int) (lo, hi int) {
	lo = chunk * clusterChunk
	return lo, min(lo+clusterChunk, n)
}

func sqDist(a, b *[3]float64) float64 {
	d0, d1, d2 := a[0]-b[0], a[1]-b[1], a[2]-b[2]
	return d0*d0 + d1*d1 + d2*d2
}

// kmChunk is one chunk's share of an assignment step.
type kmChunk struct {
	sums    [clusterMaxK][3]float64
	counts  [clusterMaxK]int
	inertia float64
	changed int
}

// kmScratch holds the per-row bounds of Hamerly's algorithm, reused across
// runs, and whether the run's steps stay on the calling goroutine.
type kmScratch struct {
	upper, lower []float64
	serial       bool
}

// kmeans runs one k-means++-initialised Lloyd run, writing the assignment to
// assign and returning its inertia (sum of squared distances to the centres
// the points were assigned to). Assignment steps use Hamerly's bounds to skip
// rows whose nearest centre cannot have changed; the iterations are Lloyd's.
func kmeans(pts [][3]float64, k int, rng *rand.Rand, assign []uint8, sc *kmScratch) float64 {
	chunks := (len(pts) + clusterChunk - 1) / clusterChunk
	return lloyd(pts, kmeansPlusPlus(pts, k, rng, chunks, sc.serial), clusterMaxIter, assign, sc)
}

// lloyd runs Lloyd iterations from the given centres (updated in place)
// until no assignment changes or after maxIter assignment steps, writing
// the assignment to assign and returning its inertia against the centres of
// the final assignment step.
func lloyd(pts [][3]float64, centers [][3]float64, maxIter int, assign []uint8, sc *kmScratch) float64 {
	n := len(pts)
	k := len(centers)
	chunks := (n + clusterChunk - 1) / clusterChunk
	if len(sc.upper) != n {
		sc.upper, sc.lower = make([]float64, n), make([]float64, n)
	}
	upper, lower := sc.upper, sc.lower
	parts := make([]kmChunk, chunks)
	var drift, half [clusterMaxK]float64
	var maxDrift, secondDrift float64
	maxAt := -1
	for iter := 0; ; iter++ {
		for j := range k { // half the distance from each centre to its nearest other
			near := math.Inf(1)
			for o := range k {
				if o != j {
					near = min(near, sqDist(&centers[j], &centers[o]))
				}
			}
			half[j] = math.Sqrt(near) / 2
		}
		runChunks(sc.serial, chunks, func(ch int) {
			lo, hi := chunkBounds(ch, n)
			var acc kmChunk // local, so workers do not share cache lines
			p := &acc
			defer func() { parts[ch] = acc }()
			for i := lo; i < hi; i++ {
				pt := &pts[i]
				a := int(assign[i])
				if iter > 0 {
					u := upper[i] + drift[a]
					l := lower[i] - maxDrift
					if a == maxAt {
						l = lower[i] - secondDrift
					}
					upper[i], lower[i] = u, l
					bound := max(half[a], l)
					if u > bound {
						u = math.Sqrt(sqDist(pt, &centers[a]))
						upper[i] = u
					}
					if u > bound {
						a = -1
					}
				} else {
					a = -1
				}
				if a < 0 { // full scan: nearest and second nearest
					b1, d1, d2 := 0, sqDist(pt, &centers[0]), math.Inf(1)
					for j := 1; j < k; j++ {
						d := sqDist(pt, &centers[j])
						if d < d1 {
							b1, d1, d2 = j, d, d1
						} else if d < d2 {
							d2 = d
						}
					}
					a = b1
					upper[i], lower[i] = math.Sqrt(d1), math.Sqrt(d2)
					if iter == 0 || assign[i] != uint8(a) {
						assign[i] = uint8(a)
						p.changed++
					}
				}
				p.counts[a]++
				s := &p.sums[a]
				s[0] += pt[0]
				s[1] += pt[1]
				s[2] += pt[2]
			}
		})
		var total kmChunk
		for ch := range parts {
			p := &parts[ch]
			total.changed += p.changed
			for j := range k {
				total.counts[j] += p.counts[j]
				for f := range 3 {
					total.sums[j][f] += p.sums[j][f]
				}
			}
		}
		if total.changed == 0 || iter == maxIter-1 {
			break
		}
		old := slices.Clone(centers)
		for j := range k {
			if cnt := total.counts[j]; cnt > 0 {
				for f := range 3 {
					centers[j][f] = total.sums[j][f] / float64(cnt)
				}
			}
		}
		for j := range k {
			if total.counts[j] == 0 {
				centers[j] = pts[farthestPoint(pts, centers[:k], j)]
			}
		}
		maxDrift, secondDrift, maxAt = 0, 0, -1
		for j := range k {
			drift[j] = math.Sqrt(sqDist(&old[j], &centers[j]))
			if drift[j] > maxDrift {
				maxDrift, secondDrift, maxAt = drift[j], maxDrift, j
			} else if drift[j] > secondDrift {
				secondDrift = drift[j]
			}
		}
	}
	// Inertia against the centres of the final assignment step.
	runChunks(sc.serial, chunks, func(ch int) {
		lo, hi := chunkBounds(ch, n)
		var s float64
		for i := lo; i < hi; i++ {
			s += sqDist(&pts[i], &centers[assign[i]])
		}
		parts[ch].inertia = s
	})
	var inertia float64
	for ch := range parts {
		inertia += parts[ch].inertia
	}
	return inertia
}

// farthestPoint returns the index of the point farthest from its nearest
// centre other than skip (the lowest index on ties); it reseeds an empty
// cluster.
func farthestPoint(pts [][3]float64, centers [][3]float64, skip int) int {
	far, fd := 0, -1.0
	for i := range pts {
		bd := math.Inf(1)
		for j := range centers {
			if j != skip {
				bd = min(bd, sqDist(&pts[i], &centers[j]))
			}
		}
		if bd > fd {
			far, fd = i, bd
		}
	}
	return far
}

// kmeansPlusPlus picks k initial centres: the first uniformly, each next one
// with probability proportional to its squared distance to the nearest centre
// chosen so far. Serial keeps the work on the calling goroutine.
func kmeansPlusPlus(pts [][3]float64, k int, rng *rand.Rand, chunks int, serial bool) [][3]float64 {
	n := len(pts)
	centers := make([][3]float64, 1, k)
	centers[0] = pts[rng.IntN(n)]
	d2 := make([]float64, n)
	partial := make([]float64, chunks)
	for len(centers) < k {
		c := centers[len(centers)-1]
		first := len(centers) == 1
		runChunks(serial, chunks, func(ch int) {
			lo, hi := chunkBounds(ch, n)
			var s float64
			for i := lo; i < hi; i++ {
				d := sqDist(&pts[i], &c)
				if first || d < d2[i] {
					d2[i] = d
				}
				s += d2[i]
			}
			partial[ch] = s
		})
		var total float64
		for _, s := range partial {
			total += s
		}
		if total <= 0 {
			// Fewer distinct points than k; callers prevent this.
			centers = append(centers, pts[rng.IntN(n)])
			continue
		}
		r := rng.Float64() * total
		ch := 0
		for ch < chunks-1 && r >= partial[ch] {
			r -= partial[ch]
			ch++
		}
		lo, hi := chunkBounds(ch, n)
		pick := -1
		for i := lo; i < hi; i++ {
			if d2[i] > 0 {
				pick = i
				if r < d2[i] {
					break
				}
				r -= d2[i]
			}
		}
		if pick < 0 { // rounding left r past the chunk's last positive weight
			for i := n - 1; i >= 0; i-- {
				if d2[i] > 0 {
					pick = i
					break
				}
			}
		}
		centers = append(centers, pts[pick])
	}
	return centers
}

// silhouetteSample returns min(n, 5000) stratified row indices, increasing.
func silhouetteSample(n int, rng *rand.Rand) []int {
	return stratifiedSample(n, silhouetteMax, rng)
}

// silhouettes returns, for each assignment, the mean silhouette score over
// the sampled rows. A row alone in its cluster within the sample, or in the
// only cluster present in the sample, scores 0.
func silhouettes(pts [][3]float64, sample []int, assigns [][]uint8, maxK int) []float64 {
	m := len(sample)
	na := len(assigns)
	labels := make([][]uint8, na)
	counts := make([][]int, na)
	for a, asg := range assigns {
		labels[a] = make([]uint8, m)
		counts[a] = make([]int, maxK)
		for j, i := range sample {
			labels[a][j] = asg[i]
			counts[a][asg[i]]++
		}
	}
	sp := make([][3]float64, m)
	labT := make([][clusterMaxK]uint8, m) // labels transposed: per sampled row, per assignment
	for j, i := range sample {
		sp[j] = pts[i]
		for a := range na {
			labT[j][a] = labels[a][j]
		}
	}
	per := make([][]float64, na) // per assignment, per sampled row
	for a := range per {
		per[a] = make([]float64, m)
	}
	// One pass over the sample per row accumulates every assignment's
	// per-cluster distance sums at once: the adds for different assignments
	// are independent, so they overlap instead of each waiting on the
	// previous add to the same cluster's sum. Each sum still receives its
	// terms in row order, so the scores are bit-for-bit those of one pass per
	// assignment.
	const rows = 64
	parallelChunks((m+rows-1)/rows, func(ch int) {
		var sums [clusterMaxK][clusterMaxK]float64 // per assignment, per cluster
		for i := ch * rows; i < min(ch*rows+rows, m); i++ {
			sums = [clusterMaxK][clusterMaxK]float64{}
			pi := sp[i]
			for j := range sp {
				dj := math.Sqrt(sqDist(&pi, &sp[j]))
				lj := &labT[j]
				for a := range na {
					sums[a][lj[a]&(clusterMaxK-1)] += dj // labels are below clusterMaxK, a power of two
				}
			}
			for a := range na {
				own := labels[a][i]
				cnt := counts[a]
				if cnt[own] <= 1 {
					continue
				}
				in := sums[a][own] / float64(cnt[own]-1)
				out := math.Inf(1)
				for c := range maxK {
					if c != int(own) && cnt[c] > 0 {
						out = min(out, sums[a][c]/float64(cnt[c]))
					}
				}
				if math.IsInf(out, 1) {
					continue
				}
				if den := max(in, out); den > 0 {
					per[a][i] = (out - in) / den
				}
			}
		}
	})
	scores := make([]float64, na)
	for a := range per {
		var s float64
		for _, v := range per[a] {
			s += v
		}
		scores[a] = s / float64(m)
	}
	return scores
}

// describeClusters turns a raw assignment into a Clustering: empty clusters
// dropped, clusters ordered by decreasing mean spend, centres in original
// units and descriptions against the shop's means.
func describeClusters(c *Customers, raw []uint8, k int, score float64) Clustering {
	n := len(raw)
	var shop [3]float64 // the shop's mean recency, frequency and spend
	sums := make([][3]float64, k)
	sizes := make([]int, k)
	for i, a := range raw {
		sizes[a]++
		s := &sums[a]
		s[0] += float64(c.RecencyDays[i])
		s[1] += float64(c.Frequency[i])
		s[2] += float64(c.Monetary[i]) / 100
	}
	for j := range k {
		for f := range 3 {
			shop[f] += sums[j][f]
		}
	}
	if n > 0 {
		for f := range 3 {
			shop[f] /= float64(n)
		}
	}
	order := make([]int, 0, k)
	for j := range k {
		if sizes[j] > 0 {
			order = append(order, j)
			for f := range 3 {
				sums[j][f] /= float64(sizes[j])
			}
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case sums[a][2] > sums[b][2]:
			return -1
		case sums[a][2] < sums[b][2]:
			return 1
		}
		return sizes[b] - sizes[a]
	})
	var remap [clusterMaxK]uint8
	out := Clustering{
		K:          len(order),
		Silhouette: score,
		Assign:     make([]uint8, n),
		Centers:    make([][3]float64, len(order)),
		Sizes:      make([]int, len(order)),
		DescZH:     make([]string, len(order)),
		DescEN:     make([]string, len(order)),
	}
	for to, from := range order {
		remap[from] = uint8(to)
		ctr := sums[from]
		out.Centers[to] = ctr
		out.Sizes[to] = sizes[from]
		var zh, en [3]string
		if ctr[0] < shop[0] {
			zh[0], en[0] = "近期购买", "recent"
		} else {
			zh[0], en[0] = "久未购买", "lapsed"
		}
		if ctr[1] > shop[1] {
			zh[1], en[1] = "高频", "frequent"
		} else {
			zh[1], en[1] = "低频", "occasional"
		}
		if ctr[2] > shop[2] {
			zh[2], en[2] = "高消费", "high spend"
		} else {
			zh[2], en[2] = "低消费", "low spend"
		}
		out.DescZH[to] = strings.Join(zh[:], "、")
		out.DescEN[to] = strings.Join(en[:], ", ")
	}
	for i, a := range raw {
		out.Assign[i] = remap[a]
	}
	return out
}
