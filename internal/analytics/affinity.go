package analytics

import (
	"cmp"
	"math"
	"math/bits"
	"runtime"
	"slices"

	"github.com/guanxi-crm/guanxi"
)

// AffinityOptions tunes MineRules. The zero value asks for every default.
type AffinityOptions struct {
	// MinSupport is the fraction of baskets an itemset must appear in to
	// count as frequent, in [0, 1]. 0 means 0.1%: in a shop with millions
	// of orders that keeps to combinations bought thousands of times, which
	// bounds the number of itemsets (and so time and memory) and leaves out
	// pairings too rare to act on, while in a small shop 0.1% falls below
	// MinCount, and MinCount decides. To rely on MinCount alone pass a
	// tiny positive value such as 1e-12.
	MinSupport float64
	// MinCount is an absolute floor on an itemset's basket count. 0 means
	// 2, so that one order alone never makes a rule.
	MinCount int
	// MinConfidence drops rules whose confidence is lower, in [0, 1]. 0
	// means 0.05; pass a tiny positive value to keep almost every rule.
	MinConfidence float64
	// MaxLen is the largest itemset mined, antecedent plus consequent,
	// from 2 to 8. 0 means 3: rules with one or two items on the left,
	// which cover most of what a shop can act on, while the number of
	// longer itemsets grows quickly with each extra item.
	MaxLen int
	// MaxRules keeps only the first rules in the order of Affinity.Rules.
	// 0 means 1000.
	MaxRules int
}

// Rule says: customers whose order holds Antecedent also buy Consequent in
// the same order.
type Rule struct {
	Antecedent []int32 // sorted item ids, at least one
	Consequent int32
	Count      int     // baskets holding antecedent ∪ consequent
	Support    float64 // Count / baskets
	Confidence float64 // Count / baskets holding the antecedent
	Lift       float64 // Confidence / (baskets holding the consequent / baskets)
}

// Affinity is the outcome of MineRules.
type Affinity struct {
	Baskets   int   // baskets mined, including those with a single item
	ItemCount []int // baskets holding each item, indexed by item id
	MinCount  int   // the basket count an itemset needed, after defaults and MinSupport
	// Rules is sorted by lift, confidence and count, all decreasing, then
	// by antecedent ids (compared as sequences) and consequent id.
	Rules []Rule
}

// Suggestion is NextProducts' pick for one customer.
type Suggestion struct {
	Item       int32   // item id; -1 when the customer bought every item
	Rule       int32   // index into Affinity.Rules; -1 for the popularity fallback or no item
	Confidence float64 // the rule's confidence, or for the fallback the share of baskets holding Item
}

const (
	affinityChunk    = 1 << 14 // rows per parallel work unit in NextProducts
	affinityMaxLen   = 8
	affinityDefLen   = 3
	affinityDefCount = 2
	affinityDefConf  = 0.05
	affinityDefRules = 1000
	affinityDefShare = 0.001
)

// MineRules mines association rules with a single-item consequent from
// baskets, each the item ids of one order, for items 0..nItems-1. An item
// listed twice in a basket counts once; baskets with one item, or none,
// count in every support's denominator.
//
// Frequent itemsets are found with FP-Growth: one pass counts items, a
// second recodes each basket as its frequent items in decreasing frequency
// and builds the FP-tree from the recoded baskets in sorted order (shared
// prefixes are then adjacent, so no child lookups are needed), and each
// item's conditional pattern base, the prefix paths above its nodes, is
// mined recursively into conditional FP-trees until itemsets reach MaxLen.
// The last level only counts the items of the pattern base, without
// building a tree. The top-level items are mined in parallel; the result
// depends only on the input and options, not on the core count.
//
// A rule A → c is made from each frequent itemset S of two or more items
// and each c in S, with A = S \ {c}, when its confidence reaches
// MinConfidence. Rules are ordered by exact comparison of the integer
// ratios behind lift and confidence, so ties are ties and not rounding
// noise, and the first MaxRules are kept.
//
// It returns a guanxi.EINVALID error for a negative nItems, an item id
// outside 0..nItems-1 (naming the first such basket and id), more than
// 2³¹-1 baskets, or an option out of range. No baskets is not an error: the
// Affinity then has no rules. baskets is neither modified nor retained.
func MineRules(baskets [][]int32, nItems int, opt AffinityOptions) (Affinity, error) {
	if nItems < 0 || nItems > math.MaxInt32 {
		return Affinity{}, guanxi.Errorf(guanxi.EINVALID, "affinity: item count %d outside 0..%d", nItems, math.MaxInt32)
	}
	if len(baskets) > math.MaxInt32 {
		return Affinity{}, guanxi.Errorf(guanxi.EINVALID, "affinity: %d baskets, more than %d", len(baskets), math.MaxInt32)
	}
	opt, err := affinityDefaults(opt)
	if err != nil {
		return Affinity{}, err
	}
	counts, err := countItems(baskets, nItems)
	if err != nil {
		return Affinity{}, err
	}
	n := len(baskets)
	minCount := opt.MinCount
	if share := int(math.Ceil(opt.MinSupport * float64(n) * (1 - 1e-12))); share > minCount {
		minCount = share // 1-1e-12 keeps 0.3 × 10 at 3, not 4
	}
	a := Affinity{Baskets: n, ItemCount: counts, MinCount: minCount, Rules: []Rule{}}
	if n == 0 {
		return a, nil
	}
	sets := fpGrowth(baskets, counts, minCount, opt.MaxLen)
	a.Rules = makeRules(sets, counts, n, opt.MinConfidence, opt.MaxRules)
	return a, nil
}

// affinityDefaults validates opt and fills in its defaults.
func affinityDefaults(opt AffinityOptions) (AffinityOptions, error) {
	bad := func(name string, v any, want string) (AffinityOptions, error) {
		return AffinityOptions{}, guanxi.Errorf(guanxi.EINVALID, "affinity: %s %v outside %s", name, v, want)
	}
	switch {
	case !(opt.MinSupport >= 0 && opt.MinSupport <= 1):
		return bad("MinSupport", opt.MinSupport, "[0, 1]")
	case opt.MinCount < 0 || opt.MinCount > math.MaxInt32:
		return bad("MinCount", opt.MinCount, "0..2147483647")
	case !(opt.MinConfidence >= 0 && opt.MinConfidence <= 1):
		return bad("MinConfidence", opt.MinConfidence, "[0, 1]")
	case opt.MaxLen != 0 && (opt.MaxLen < 2 || opt.MaxLen > affinityMaxLen):
		return bad("MaxLen", opt.MaxLen, "2..8 (or 0 for the default)")
	case opt.MaxRules < 0:
		return bad("MaxRules", opt.MaxRules, "0.. (0 for the default)")
	}
	if opt.MinSupport == 0 {
		opt.MinSupport = affinityDefShare
	}
	if opt.MinCount == 0 {
		opt.MinCount = affinityDefCount
	}
	if opt.MinConfidence == 0 {
		opt.MinConfidence = affinityDefConf
	}
	if opt.MaxLen == 0 {
		opt.MaxLen = affinityDefLen
	}
	if opt.MaxRules == 0 {
		opt.MaxRules = affinityDefRules
	}
	return opt, nil
}

// basketParts splits n baskets into one contiguous range per core (at
// least 64Ki baskets each), for passes whose per-part state is as large as
// the catalogue and whose results are integer sums, exact in any order.
func basketParts(n int) int {
	return max(1, min(runtime.GOMAXPROCS(0), n/(1<<16)))
}

func partBounds(part, parts, n int) (lo, hi int) {
	return part * n / parts, (part + 1) * n / parts
}

// countItems returns the number of baskets holding each item, or an error
// for the first basket with an id out of range.
func countItems(baskets [][]int32, nItems int) ([]int, error) {
	n := len(baskets)
	parts := basketParts(n)
	partCounts := make([][]int32, parts)
	badAt := make([]int, parts) // first bad basket per part, -1 for none
	parallelChunks(parts, func(p int) {
		lo, hi := partBounds(p, parts, n)
		cnt := make([]int32, nItems)
		var buf []int32
		badAt[p] = -1
		for i := lo; i < hi; i++ {
			b := baskets[i]
			for _, it := range b {
				if uint32(it) >= uint32(nItems) {
					badAt[p] = i
					partCounts[p] = cnt
					return
				}
			}
			if len(b) <= 16 {
				for j, it := range b {
					if !slices.Contains(b[:j], it) {
						cnt[it]++
					}
				}
				continue
			}
			buf = sortedDistinct(append(buf[:0], b...))
			for _, it := range buf {
				cnt[it]++
			}
		}
		partCounts[p] = cnt
	})
	for p := range parts {
		if i := badAt[p]; i >= 0 {
			for _, it := range baskets[i] {
				if uint32(it) >= uint32(nItems) {
					if nItems == 0 {
						return nil, guanxi.Errorf(guanxi.EINVALID,
							"affinity: basket %d holds item id %d, but there are no items", i, it)
					}
					return nil, guanxi.Errorf(guanxi.EINVALID,
						"affinity: basket %d holds item id %d, outside 0..%d", i, it, nItems-1)
				}
			}
		}
	}
	counts := make([]int, nItems)
	for _, cnt := range partCounts {
		for it, c := range cnt {
			counts[it] += int(c)
		}
	}
	return counts, nil
}

// sortedDistinct sorts s in place and returns its distinct values.
func sortedDistinct(s []int32) []int32 {
	if len(s) <= 12 {
		for i := 1; i < len(s); i++ {
			v := s[i]
			j := i
			for ; j > 0 && s[j-1] > v; j-- {
				s[j] = s[j-1]
			}
			s[j] = v
		}
	} else {
		slices.Sort(s)
	}
	return slices.Compact(s)
}

// itemset is a frequent itemset: sorted item ids and the baskets holding
// all of them.
type itemset struct {
	items []int32
	count int
}

// fpTree is an FP-tree over local item ranks 0..len(items)-1, rank 0 the
// most frequent. Node 0 is the root; every other node's ancestors have
// lower ranks. The header table lists each rank's nodes contiguously.
type fpTree struct {
	items  []int32 // global item id per rank
	parent []int32
	item   []int32 // rank per node
	count  []int32
	hdr    []int32 // node ids grouped by rank
	hdrAt  []int32 // rank r's nodes are hdr[hdrAt[r]:hdrAt[r+1]]
}

// txns is a list of weighted transactions over ranks, each sorted
// increasing, stored flat: transaction i is data[off[i]:off[i+1]].
type txns struct {
	data []int32
	off  []int
	w    []int32 // weight per transaction; nil means 1 each
}

func (t *txns) len() int           { return len(t.off) - 1 }
func (t *txns) at(i int32) []int32 { return t.data[t.off[i]:t.off[i+1]] }

// buildTree builds the FP-tree of t, whose transactions are visited in
// order (lexicographically sorted), so that each transaction shares with
// the previous one exactly the prefix of nodes it shares with the tree.
func buildTree(items []int32, t *txns, order []int32) *fpTree {
	tr := &fpTree{items: items}
	size := len(t.data)/2 + 1
	tr.parent = append(make([]int32, 0, size), -1)
	tr.item = append(make([]int32, 0, size), -1)
	tr.count = append(make([]int32, 0, size), 0)
	var path []int32
	var prev []int32
	for _, ti := range order {
		tx := t.at(ti)
		w := int32(1)
		if t.w != nil {
			w = t.w[ti]
		}
		l := 0
		for l < len(tx) && l < len(prev) && tx[l] == prev[l] {
			l++
		}
		path = path[:l]
		for _, nd := range path {
			tr.count[nd] += w
		}
		for j := l; j < len(tx); j++ {
			p := int32(0)
			if j > 0 {
				p = path[j-1]
			}
			path = append(path, int32(len(tr.item)))
			tr.parent = append(tr.parent, p)
			tr.item = append(tr.item, tx[j])
			tr.count = append(tr.count, w)
		}
		prev = tx
	}
	tr.hdrAt = make([]int32, len(items)+1)
	for _, r := range tr.item[1:] {
		tr.hdrAt[r+1]++
	}
	for r := range items {
		tr.hdrAt[r+1] += tr.hdrAt[r]
	}
	tr.hdr = make([]int32, len(tr.item)-1)
	next := slices.Clone(tr.hdrAt[:len(items)])
	for nd := 1; nd < len(tr.item); nd++ {
		r := tr.item[nd]
		tr.hdr[next[r]] = int32(nd)
		next[r]++
	}
	return tr
}

// frequentItemsets validates baskets and returns fpGrowth's itemsets.
func frequentItemsets(baskets [][]int32, nItems, minCount, maxLen int) ([]itemset, error) {
	counts, err := countItems(baskets, nItems)
	if err != nil {
		return nil, err
	}
	return fpGrowth(baskets, counts, minCount, maxLen), nil
}

// fpGrowth returns every itemset of 1..maxLen items held by at least
// minCount baskets, ordered by length and then by item ids. counts are the
// item counts from countItems, and the baskets are known to be valid.
func fpGrowth(baskets [][]int32, counts []int, minCount, maxLen int) []itemset {
	// Ranks: frequent items by decreasing count, then increasing id.
	var items []int32
	for it, c := range counts {
		if c >= minCount {
			items = append(items, int32(it))
		}
	}
	slices.SortFunc(items, func(a, b int32) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	var sets []itemset
	for _, it := range items {
		sets = append(sets, itemset{[]int32{it}, counts[it]})
	}
	if len(items) >= 2 && maxLen >= 2 {
		rank := make([]int32, len(counts))
		for i := range rank {
			rank[i] = -1
		}
		for r, it := range items {
			rank[it] = int32(r)
		}
		t := recode(baskets, rank)
		tree := buildTree(items, t, sortTxns(t, len(items), true))
		found := make([][]itemset, len(items))
		// Least frequent items first: their nodes sit deepest in the tree.
		parallelChunks(len(items), func(ch int) {
			m := fpMiner{minCount: int32(minCount), maxLen: maxLen}
			m.mineItem(tree, nil, int32(len(items)-1-ch))
			found[ch] = m.out
		})
		for _, f := range found {
			sets = append(sets, f...)
		}
	}
	slices.SortFunc(sets, func(a, b itemset) int {
		if c := cmp.Compare(len(a.items), len(b.items)); c != 0 {
			return c
		}
		return slices.Compare(a.items, b.items)
	})
	return sets
}

// recode returns each basket as its distinct frequent items' ranks,
// increasing, dropping baskets left with fewer than two: those add nothing
// to any pattern base, and single-item counts come from countItems.
func recode(baskets [][]int32, rank []int32) *txns {
	n := len(baskets)
	parts := basketParts(n)
	out := make([]txns, parts)
	parallelChunks(parts, func(p int) {
		lo, hi := partBounds(p, parts, n)
		size := 0
		for _, b := range baskets[lo:hi] {
			size += len(b)
		}
		t := txns{data: make([]int32, 0, size), off: append(make([]int, 0, hi-lo+1), 0)}
		for i := lo; i < hi; i++ {
			start := len(t.data)
			for _, it := range baskets[i] {
				if r := rank[it]; r >= 0 {
					t.data = append(t.data, r)
				}
			}
			tx := sortedDistinct(t.data[start:])
			t.data = t.data[:start+len(tx)]
			if len(tx) < 2 {
				t.data = t.data[:start]
				continue
			}
			t.off = append(t.off, len(t.data))
		}
		out[p] = t
	})
	if parts == 1 {
		return &out[0]
	}
	size, count := 0, 1
	for _, t := range out {
		size += len(t.data)
		count += t.len()
	}
	all := &txns{data: make([]int32, 0, size), off: append(make([]int, 0, count), 0)}
	for _, t := range out {
		base := len(all.data)
		all.data = append(all.data, t.data...)
		for _, o := range t.off[1:] {
			all.off = append(all.off, base+o)
		}
	}
	return all
}

// sortTxns returns the transaction indices of t in lexicographic order.
// Transactions are bucketed by first rank; within a bucket they sort on a
// key packing the next ranks (each plus one, so that a shorter transaction
// sorts before its extensions) into a uint64, comparing the rest only when
// keys tie, which with a few hundred items is almost never. Buckets are
// sorted in parallel when parallel is set.
func sortTxns(t *txns, nRanks int, parallel bool) []int32 {
	n := t.len()
	width := bits.Len(uint(nRanks))
	fields := 64 / width
	at := make([]int, nRanks+1)
	for i := range n {
		at[t.data[t.off[i]]+1]++
	}
	for r := range nRanks {
		at[r+1] += at[r]
	}
	type keyed struct {
		key uint64
		idx int32
	}
	keys := make([]keyed, n)
	next := slices.Clone(at[:nRanks])
	for i := range n {
		tx := t.at(int32(i))
		var key uint64
		for f := range fields {
			key <<= width
			if f+1 < len(tx) {
				key |= uint64(tx[f+1] + 1)
			}
		}
		keys[next[tx[0]]] = keyed{key, int32(i)}
		next[tx[0]]++
	}
	from := 1 + fields
	sortBucket := func(r int) {
		slices.SortFunc(keys[at[r]:at[r+1]], func(x, y keyed) int {
			if c := cmp.Compare(x.key, y.key); c != 0 {
				return c
			}
			a, b := t.at(x.idx), t.at(y.idx)
			if len(a) <= from || len(b) <= from {
				return cmp.Compare(len(a), len(b))
			}
			return slices.Compare(a[from:], b[from:])
		})
	}
	if parallel {
		parallelChunks(nRanks, sortBucket)
	} else {
		for r := range nRanks {
			sortBucket(r)
		}
	}
	order := make([]int32, n)
	for i, k := range keys {
		order[i] = k.idx
	}
	return order
}

// fpMiner collects the itemsets found under one top-level item.
type fpMiner struct {
	minCount int32
	maxLen   int
	out      []itemset
}

// mineItem mines the itemsets that extend suffix ∪ {rank r of tree}, where
// tree is conditional on suffix: it counts the items of r's conditional
// pattern base, records each frequent one as an itemset one longer, and
// when itemsets may grow further builds the conditional FP-tree over those
// items and mines each of them in turn.
func (m *fpMiner) mineItem(tree *fpTree, suffix []int32, r int32) {
	s := append(slices.Clip(suffix), tree.items[r])
	nodes := tree.hdr[tree.hdrAt[r]:tree.hdrAt[r+1]]
	cnt := make([]int32, r) // ancestors rank below r
	for _, nd := range nodes {
		w := tree.count[nd]
		for p := tree.parent[nd]; p > 0; p = tree.parent[p] {
			cnt[tree.item[p]] += w
		}
	}
	var freq []int32
	for a, c := range cnt {
		if c >= m.minCount {
			freq = append(freq, int32(a))
			m.emit(s, tree.items[a], c)
		}
	}
	if len(s)+1 >= m.maxLen || len(freq) < 2 {
		return
	}
	// Conditional ranks: by decreasing count within the base, then by rank.
	slices.SortStableFunc(freq, func(a, b int32) int { return cmp.Compare(cnt[b], cnt[a]) })
	remap := make([]int32, r)
	for i := range remap {
		remap[i] = -1
	}
	items := make([]int32, len(freq))
	for i, a := range freq {
		remap[a] = int32(i)
		items[i] = tree.items[a]
	}
	base := txns{off: []int{0}}
	for _, nd := range nodes {
		start := len(base.data)
		for p := tree.parent[nd]; p > 0; p = tree.parent[p] {
			if c := remap[tree.item[p]]; c >= 0 {
				base.data = append(base.data, c)
			}
		}
		if len(base.data) == start {
			continue
		}
		sortedDistinct(base.data[start:]) // distinct already; this sorts
		base.off = append(base.off, len(base.data))
		base.w = append(base.w, tree.count[nd])
	}
	cond := buildTree(items, &base, sortTxns(&base, len(items), false))
	for c := range items {
		m.mineItem(cond, s, int32(c))
	}
}

// emit records s ∪ {it} with its count, items sorted.
func (m *fpMiner) emit(s []int32, it int32, count int32) {
	items := make([]int32, len(s)+1)
	copy(items, s)
	items[len(s)] = it
	sortedDistinct(items)
	m.out = append(m.out, itemset{items, int(count)})
}

// ruleCand is a candidate rule: itemset set minus its item at drop.
type ruleCand struct {
	set, drop int32
	ante      int // baskets holding the antecedent
}

// makeRules turns frequent itemsets (sorted as fpGrowth returns them) into
// rules, keeping the best maxRules.
func makeRules(sets []itemset, counts []int, n int, minConf float64, maxRules int) []Rule {
	type key [affinityMaxLen]int32
	keyOf := func(items []int32, drop int) key {
		var k key
		for i := range k {
			k[i] = -1
		}
		j := 0
		for i, it := range items {
			if i != drop {
				k[j] = it
				j++
			}
		}
		return k
	}
	index := make(map[key]int)
	for _, s := range sets {
		if len(s.items) >= 2 && len(s.items) < affinityMaxLen {
			index[keyOf(s.items, -1)] = s.count
		}
	}
	var cands []ruleCand
	for si, s := range sets {
		if len(s.items) < 2 {
			continue
		}
		for d := range s.items {
			var ante int
			if len(s.items) == 2 {
				ante = counts[s.items[1-d]]
			} else {
				ante = index[keyOf(s.items, d)] // frequent: every subset of a frequent itemset is
			}
			if float64(s.count)/float64(ante) >= minConf {
				cands = append(cands, ruleCand{int32(si), int32(d), ante})
			}
		}
	}
	cons := func(c ruleCand) int32 { return sets[c.set].items[c.drop] }
	slices.SortFunc(cands, func(a, b ruleCand) int {
		sa, sb := uint64(sets[a.set].count), uint64(sets[b.set].count)
		ca, cb := uint64(a.ante), uint64(b.ante)
		// lift a > lift b ⇔ sa·cb·cons(b) > sb·ca·cons(a), counts below 2³¹
		xh, xl := bits.Mul64(sa*cb, uint64(counts[cons(b)]))
		yh, yl := bits.Mul64(sb*ca, uint64(counts[cons(a)]))
		if c := cmp.Or(cmp.Compare(yh, xh), cmp.Compare(yl, xl)); c != 0 {
			return c
		}
		if c := cmp.Compare(sb*ca, sa*cb); c != 0 { // confidence
			return c
		}
		if c := cmp.Compare(sb, sa); c != 0 {
			return c
		}
		ia, ib := sets[a.set].items, sets[b.set].items
		for i, j := 0, 0; ; i, j = i+1, j+1 {
			if i == int(a.drop) {
				i++
			}
			if j == int(b.drop) {
				j++
			}
			switch {
			case i >= len(ia) && j >= len(ib):
				return cmp.Compare(cons(a), cons(b))
			case i >= len(ia):
				return -1
			case j >= len(ib):
				return 1
			case ia[i] != ib[j]:
				return cmp.Compare(ia[i], ib[j])
			}
		}
	})
	if len(cands) > maxRules {
		cands = cands[:maxRules]
	}
	rules := make([]Rule, len(cands))
	for i, c := range cands {
		s := sets[c.set]
		ante := make([]int32, 0, len(s.items)-1)
		ante = append(append(ante, s.items[:c.drop]...), s.items[c.drop+1:]...)
		cc := counts[cons(c)]
		rules[i] = Rule{
			Antecedent: ante,
			Consequent: cons(c),
			Count:      s.count,
			Support:    float64(s.count) / float64(n),
			Confidence: float64(s.count) / float64(c.ante),
			Lift:       float64(s.count) * float64(n) / (float64(c.ante) * float64(cc)),
		}
	}
	return rules
}

// ruleEntry is one rule in NextProducts' index.
type ruleEntry struct {
	rank int32 // position in preference order: confidence, lift, rule index
	rule int32
	cons int32
	ante []int32 // sorted, distinct
}

// NextProducts suggests for each customer one item they have not bought.
// history[c] holds the items customer c bought, in any order; duplicates
// and ids outside the catalogue (0..len(ItemCount)-1) are ignored.
//
// The suggestion is the consequent of the best rule, by confidence, then
// lift, then position in Rules, whose antecedent the customer has bought
// entirely and whose consequent they have not. When no rule applies it is
// the most popular item by ItemCount (the lowest id on ties) that the
// customer has not bought, with Rule -1 and as confidence the share of
// baskets holding it (0 with no baskets). A customer who bought every item
// gets Item -1.
//
// Rules are indexed by their antecedent's least popular item and kept in
// preference order, so each customer costs a few list scans, cut short by
// the best rule found so far; customers are handled in parallel. Rules
// naming items outside the catalogue are ignored.
func (a Affinity) NextProducts(history [][]int32) []Suggestion {
	nItems := len(a.ItemCount)
	out := make([]Suggestion, len(history))
	pop := make([]int32, nItems)
	for i := range pop {
		pop[i] = int32(i)
	}
	slices.SortStableFunc(pop, func(x, y int32) int { return cmp.Compare(a.ItemCount[y], a.ItemCount[x]) })
	idx := a.ruleIndex()
	parallelChunks((len(history)+affinityChunk-1)/affinityChunk, func(ch int) {
		lo := ch * affinityChunk
		hi := min(lo+affinityChunk, len(history))
		var h []int32
		for c := lo; c < hi; c++ {
			h = h[:0]
			for _, it := range history[c] {
				if uint32(it) < uint32(nItems) {
					h = append(h, it)
				}
			}
			h = sortedDistinct(h)
			out[c] = a.suggest(h, idx, pop)
		}
	})
	return out
}

// ruleIdx indexes rules by their antecedent's least popular item.
type ruleIdx struct {
	at      []int32 // item x's rules are entries[at[x]:at[x+1]], by rank
	entries []ruleEntry
	always  []ruleEntry // rules with an empty antecedent, by rank
}

func (a Affinity) ruleIndex() ruleIdx {
	nItems := len(a.ItemCount)
	pref := make([]int32, 0, len(a.Rules))
rules:
	for i, r := range a.Rules {
		if uint32(r.Consequent) >= uint32(nItems) {
			continue
		}
		for _, it := range r.Antecedent {
			if uint32(it) >= uint32(nItems) || it == r.Consequent {
				continue rules
			}
		}
		pref = append(pref, int32(i))
	}
	slices.SortStableFunc(pref, func(x, y int32) int {
		rx, ry := &a.Rules[x], &a.Rules[y]
		return cmp.Or(cmp.Compare(ry.Confidence, rx.Confidence), cmp.Compare(ry.Lift, rx.Lift))
	})
	idx := ruleIdx{at: make([]int32, nItems+1)}
	keys := make([]int32, len(pref))
	all := make([]ruleEntry, len(pref))
	for rank, ri := range pref {
		r := &a.Rules[ri]
		ante := sortedDistinct(slices.Clone(r.Antecedent))
		key := int32(-1)
		for _, it := range ante {
			if key < 0 || a.ItemCount[it] < a.ItemCount[key] {
				key = it
			}
		}
		keys[rank] = key
		all[rank] = ruleEntry{int32(rank), ri, r.Consequent, ante}
		if key < 0 {
			idx.always = append(idx.always, all[rank])
		} else {
			idx.at[key+1]++
		}
	}
	for x := range nItems {
		idx.at[x+1] += idx.at[x]
	}
	idx.entries = make([]ruleEntry, idx.at[nItems])
	next := slices.Clone(idx.at[:nItems])
	for rank, key := range keys {
		if key >= 0 {
			idx.entries[next[key]] = all[rank]
			next[key]++
		}
	}
	return idx
}

// suggest picks the item for one customer whose distinct bought items are
// h, sorted.
func (a Affinity) suggest(h []int32, idx ruleIdx, pop []int32) Suggestion {
	best := (*ruleEntry)(nil)
	try := func(list []ruleEntry) {
		for i := range list {
			e := &list[i]
			if best != nil && e.rank >= best.rank {
				return
			}
			if !hasItem(h, e.cons) && subsetOf(e.ante, h) {
				best = e
				return
			}
		}
	}
	try(idx.always)
	for _, x := range h {
		try(idx.entries[idx.at[x]:idx.at[x+1]])
	}
	if best != nil {
		return Suggestion{Item: best.cons, Rule: best.rule, Confidence: a.Rules[best.rule].Confidence}
	}
	if len(h) < len(pop) {
		for _, it := range pop {
			if !hasItem(h, it) {
				var conf float64
				if a.Baskets > 0 {
					conf = float64(a.ItemCount[it]) / float64(a.Baskets)
				}
				return Suggestion{Item: it, Rule: -1, Confidence: conf}
			}
		}
	}
	return Suggestion{Item: -1, Rule: -1}
}

// hasItem reports whether sorted s holds x.
func hasItem(s []int32, x int32) bool {
	if len(s) <= 16 {
		for _, v := range s {
			if v >= x {
				return v == x
			}
		}
		return false
	}
	_, ok := slices.BinarySearch(s, x)
	return ok
}

// subsetOf reports whether sorted sub is contained in sorted s.
func subsetOf(sub, s []int32) bool {
	j := 0
	for _, x := range sub {
		for j < len(s) && s[j] < x {
			j++
		}
		if j == len(s) || s[j] != x {
			return false
		}
		j++
	}
	return true
}
