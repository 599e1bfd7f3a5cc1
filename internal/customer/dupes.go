package customer

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"hash/maphash"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/seal"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Why two customers may be one person.
const (
	ReasonPhone       = "phone"        // the same phone, on the profile or as an identity
	ReasonEmail       = "email"        // the same e-mail
	ReasonUnionID     = "unionid"      // the same WeChat unionid, on any platform
	ReasonNameAddress = "name_address" // a similar name at a similar address in the same city
)

// Weights of the reasons: the probability that a pair with only this reason
// is one person. A pair's score combines its reasons as independent
// evidence: 1 - Π(1 - w).
const (
	weightUnionID      = 0.95
	weightPhone        = 0.9
	weightEmail        = 0.85
	weightNameAddrSame = 0.8  // the same name and the same address
	weightNameAddr     = 0.7  // the same name, a similar address; or a near name at the same address
	weightNameAddrNear = 0.55 // a near name at a similar address
)

// Reason is one piece of evidence that two customers are one person.
type Reason struct {
	Kind   string  `json:"kind"`             // ReasonPhone, ReasonEmail, ReasonUnionID or ReasonNameAddress
	Value  string  `json:"value"`            // the shared phone, e-mail or unionid; for name_address the two names
	Weight float64 `json:"weight"`           // how strongly it alone says "one person", 0–1
	Exact  bool    `json:"exact,omitempty"`  // name_address: the same name and the same address
	Detail string  `json:"detail,omitempty"` // name_address: "王芳/王方, 杭州市 文三路100号"
}

// masked is the reason as merge records keep it: the phone or e-mail
// masked, since the records are not sealed. The pages mask for the viewer.
func (r Reason) masked() Reason {
	switch r.Kind {
	case ReasonPhone:
		r.Value = guanxi.MaskPhone(r.Value)
	case ReasonEmail:
		r.Value = guanxi.MaskEmail(r.Value)
	}
	return r
}

// Text says the reason in English, for the command line and merge records.
func (r Reason) Text() string {
	switch r.Kind {
	case ReasonPhone:
		return "same phone " + r.Value
	case ReasonEmail:
		return "same email " + r.Value
	case ReasonUnionID:
		return "same WeChat unionid " + r.Value
	case ReasonNameAddress:
		return "similar name and address: " + r.Detail
	}
	return r.Kind + " " + r.Value
}

// Party is one side of a duplicate candidate, as it was when found.
type Party struct {
	ID        int64
	Name      string
	Phone     string
	Email     string
	Province  string
	City      string
	Address   string
	Version   int64
	CreatedAt int64
}

// Candidate is a pair of live customers that may be one person. A is the
// suggested survivor: the customer created first (the importer's rule too).
type Candidate struct {
	A, B    Party
	Score   float64 // 0–1
	Reasons []Reason
}

// ReasonText lists the reasons in English.
func (c Candidate) ReasonText() string {
	var parts []string
	for _, r := range c.Reasons {
		parts = append(parts, r.Text())
	}
	return strings.Join(parts, "; ")
}

// DupeFilter narrows a list of candidates.
type DupeFilter struct {
	MinScore float64
	Limit    int // default 50, at most 500; -1 for all
	Offset   int
	Fresh    bool // compute the candidates again rather than use the cached ones
}

// DupePage is one page of duplicate candidates, best first.
type DupePage struct {
	Candidates []Candidate
	Total      int // candidates at or above MinScore
	Limit      int
	Offset     int
	// SkippedBlocks counts name and address groups too common to compare
	// pairwise (more than blockCap customers share one name in one city, or
	// one address): their pairs are only found through other keys.
	SkippedBlocks int
	FoundAt       time.Time // when the candidates were computed (they are cached)
	Seconds       float64   // how long computing them took
}

// blockCap is the largest name or address block compared pairwise.
const blockCap = 200

// DupeTTL is how long a shop's computed candidates are used before they are
// computed again. Merges, undos and dismissals made through the Service
// update the cached list at once; other changes (imports, edits) show
// within DupeTTL, or at once with DupeFilter.Fresh. A stale candidate is
// harmless: a merge names both versions and refuses a changed customer.
const DupeTTL = 10 * time.Minute

// dupeCache keeps each shop's candidates (see DupeTTL). Telling whether
// a million customers changed costs a scan of them, nearly as much as
// finding the candidates, so the cache is kept by time and by the
// Service's own writes instead.
type dupeCache struct {
	mu    sync.Mutex // guards shops
	shops map[int64]*shopDupes
}

// shopDupes is one shop's cached candidates; its lock makes concurrent
// requests for the shop wait for one computation instead of each doing it.
type shopDupes struct {
	mu  sync.Mutex
	res *dupeResult
}

type dupeResult struct {
	cands   []Candidate
	skipped int
	at      time.Time
	seconds float64
}

// Duplicates returns the shop's duplicate candidates, best score first.
// They are computed in one pass over the shop's live customers and their
// phone, e-mail and unionid identities, grouped by blocking keys (never
// every pair), and cached (see DupeTTL); dismissed pairs are left out.
func (s *Service) Duplicates(ctx context.Context, shopID int64, f DupeFilter) (DupePage, error) {
	p := DupePage{Limit: f.Limit, Offset: max(f.Offset, 0)}
	if p.Limit == 0 {
		p.Limit = DefaultLimit
	}
	if p.Limit > MaxLimit {
		p.Limit = MaxLimit
	}
	sd := s.shopDupes(shopID)
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if f.Fresh || sd.res == nil || time.Since(sd.res.at) > DupeTTL {
		start := time.Now()
		cands, skipped, err := FindDuplicates(ctx, s.db, shopID)
		if err != nil {
			return p, err
		}
		sd.res = &dupeResult{cands: cands, skipped: skipped, at: start, seconds: time.Since(start).Seconds()}
	}
	res := sd.res
	p.SkippedBlocks, p.FoundAt, p.Seconds = res.skipped, res.at, res.seconds
	var keep []Candidate
	for _, c := range res.cands {
		if c.Score >= f.MinScore {
			keep = append(keep, c)
		}
	}
	p.Total = len(keep)
	if p.Offset < len(keep) {
		keep = keep[p.Offset:]
		if p.Limit > 0 && len(keep) > p.Limit {
			keep = keep[:p.Limit]
		}
		p.Candidates = slices.Clone(keep)
	}
	return p, nil
}

func (s *Service) shopDupes(shopID int64) *shopDupes {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	if s.cache.shops == nil {
		s.cache.shops = map[int64]*shopDupes{}
	}
	sd, ok := s.cache.shops[shopID]
	if !ok {
		sd = &shopDupes{}
		s.cache.shops[shopID] = sd
	}
	return sd
}

// patchDupes applies a change made through the Service to the shop's
// cached candidates, if any: drop removes the pairs that drop reports,
// versions sets customers' new versions.
func (s *Service) patchDupes(shopID int64, drop func(a, b int64) bool, versions map[int64]int64) {
	sd := s.shopDupes(shopID)
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if sd.res == nil {
		return
	}
	res := *sd.res
	res.cands = make([]Candidate, 0, len(sd.res.cands))
	for _, c := range sd.res.cands {
		if drop != nil && drop(c.A.ID, c.B.ID) {
			continue
		}
		if v, ok := versions[c.A.ID]; ok {
			c.A.Version = v
		}
		if v, ok := versions[c.B.ID]; ok {
			c.B.Version = v
		}
		res.cands = append(res.cands, c)
	}
	sd.res = &res
}

// forgetDupes drops the shop's cached candidates, to be computed afresh.
func (s *Service) forgetDupes(shopID int64) {
	sd := s.shopDupes(shopID)
	sd.mu.Lock()
	sd.res = nil
	sd.mu.Unlock()
}

// dupeRec is what candidate finding keeps of a customer: normalised for
// comparison, display fields are read again only for the pairs found.
type dupeRec struct {
	id    int64
	name  string // normName
	addr  string // normAddress, with the province and city taken off
	loc   string // normRegion(province) + "|" + normRegion(city); "" when both are blank
	runes int    // of name
	sig   uint64 // runeSig(addr)
}

// runeSig is a 64-bit set of the runes of s. Two strings two edits apart
// differ in at most four of its bits, which rejects most pairs of
// addresses before an edit distance is computed.
func runeSig(s string) uint64 {
	var sig uint64
	for _, r := range s {
		sig |= 1 << ((uint32(r) * 2654435761) >> 26)
	}
	return sig
}

// Kinds of blocking keys.
const (
	keyPhone byte = iota + 1
	keyEmail
	keyUnionID
	keyNameDel // location + the name, or the name with one rune deleted
	keyAddr    // location + address
)

type blockKey struct {
	h    uint64
	i    int32 // index into recs
	kind byte
	val  int32 // exact keys: the value's index in vals, for the reason
}

// FindDuplicates computes every duplicate candidate of the shop, best
// first, without a cache, and the number of blocks skipped as too common.
// It reads a snapshot: live customers, their phone, e-mail and unionid
// identities, and the dismissed pairs.
func FindDuplicates(ctx context.Context, db *store.DB, shopID int64) ([]Candidate, int, error) {
	var recs []dupeRec
	var keys []blockKey
	var vals []string
	fk := db.Keys()
	dismissed := map[[2]int64]bool{}
	seed := maphash.MakeSeed()
	var buf []byte
	hash := func(kind byte, loc, v string) uint64 {
		buf = append(append(append(append(buf[:0], kind), loc...), 0), v...)
		return maphash.Bytes(seed, buf)
	}
	// deleted hashes the location and v with the rune at byte offset
	// [at, at+size) left out.
	deleted := func(loc, v string, at, size int) uint64 {
		buf = append(append(append(append(append(buf[:0], keyNameDel), loc...), 0), v[:at]...), v[at+size:]...)
		return maphash.Bytes(seed, buf)
	}
	regions := map[[2]string][2]string{} // province, city → loc, normalised province and city
	region := func(province, city string) (loc, p, c string) {
		k := [2]string{province, city}
		r, ok := regions[k]
		if !ok {
			p, c := normRegion(province), normRegion(city)
			if p != "" || c != "" {
				r = [2]string{p + "|" + c, p}
			}
			regions[k] = r
		}
		if r[0] == "" {
			return "", "", ""
		}
		p, c, _ = strings.Cut(r[0], "|")
		return r[0], p, c
	}
	err := db.View(ctx, func(tx *store.ReadTx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE shop_id = ? AND merged_into IS NULL`, shopID).Scan(&n); err != nil {
			return err
		}
		recs, keys = make([]dupeRec, 0, n), make([]blockKey, 0, 5*n)
		rows, err := tx.Query(ctx, `SELECT id, name, phone, email, province, city, address FROM customers
WHERE shop_id = ? AND merged_into IS NULL ORDER BY id`, shopID)
		if err != nil {
			return err
		}
		defer rows.Close()
		var name, phone, email, province, city, address string
		for rows.Next() {
			var r dupeRec
			if err := rows.Scan(&r.id, &name, &phone, &email, &province, &city, &address); err != nil {
				return err
			}
			r.name = normName(name)
			r.runes = utf8.RuneCountInString(r.name)
			if loc, p, c := region(province, city); loc != "" {
				r.loc = loc
				r.addr = normAddress(address, p, c)
				r.sig = runeSig(r.addr)
			}
			i := int32(len(recs))
			recs = append(recs, r)
			// Phones and e-mails block by their keyed hash, the form the
			// identities hold them in; the reason shows them masked.
			if err := fk.OpenAll(seal.Phone(&phone), seal.Email(&email)); err != nil {
				return fmt.Errorf("customer %d: %w", r.id, err)
			}
			if v := fk.Hash(shopID, "phone", guanxi.NormalizePhone(phone)); v != "" {
				keys = append(keys, blockKey{hash(keyPhone, "", v), i, keyPhone, int32(len(vals))})
				vals = append(vals, v)
			}
			if v := fk.Hash(shopID, "email", guanxi.NormalizeEmail(email)); v != "" {
				keys = append(keys, blockKey{hash(keyEmail, "", v), i, keyEmail, int32(len(vals))})
				vals = append(vals, v)
			}
			if r.loc == "" {
				continue
			}
			if r.runes >= 2 {
				// Two names one edit apart share the shorter name or one
				// of its deletions (a 2-rune name's deletions are bare
				// surnames: too broad to block on).
				keys = append(keys, blockKey{h: hash(keyNameDel, r.loc, r.name), i: i, kind: keyNameDel})
				if r.runes >= 3 {
					var last rune = -1
					for at, c := range r.name {
						if c != last { // deleting either of two equal neighbours gives one name
							keys = append(keys, blockKey{h: deleted(r.loc, r.name, at, utf8.RuneLen(c)), i: i, kind: keyNameDel})
						}
						last = c
					}
				}
			}
			if r.addr != "" {
				keys = append(keys, blockKey{h: hash(keyAddr, r.loc, r.addr), i: i, kind: keyAddr})
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()

		idx := func(id int64) (int32, bool) {
			i, ok := slices.BinarySearchFunc(recs, id, func(r dupeRec, id int64) int { return cmp.Compare(r.id, id) })
			return int32(i), ok
		}
		rows, err = tx.Query(ctx, `SELECT customer_id, kind, value FROM customer_identities
WHERE shop_id = ? AND platform = '' AND kind IN ('phone', 'email')
UNION ALL
SELECT customer_id, kind, value FROM customer_identities
WHERE shop_id = ? AND kind = 'unionid'`, shopID, shopID)
		if err != nil {
			return err
		}
		defer rows.Close()
		var cid int64
		var kind, value string
		for rows.Next() {
			if err := rows.Scan(&cid, &kind, &value); err != nil {
				return err
			}
			i, ok := idx(cid)
			if !ok {
				continue // a merged-away customer's (there should be none)
			}
			k := map[string]byte{"phone": keyPhone, "email": keyEmail, "unionid": keyUnionID}[kind]
			keys = append(keys, blockKey{hash(k, "", value), i, k, int32(len(vals))})
			vals = append(vals, value)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()

		rows, err = tx.Query(ctx, `SELECT customer_a, customer_b FROM customer_duplicate_dismissals WHERE shop_id = ?`, shopID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a, b int64
			if err := rows.Scan(&a, &b); err != nil {
				return err
			}
			dismissed[[2]int64{a, b}] = true
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("customer: duplicates of shop %d: %w", shopID, err)
	}

	// The kind is hashed in, so equal hashes are one block.
	slices.SortFunc(keys, func(a, b blockKey) int { return cmp.Compare(a.h, b.h) })
	type pair struct{ a, b int32 }
	found := map[pair][]Reason{}
	add := func(a, b int32, r Reason) {
		if a == b {
			return
		}
		if a > b {
			a, b = b, a
		}
		if dismissed[[2]int64{recs[a].id, recs[b].id}] {
			return
		}
		p := pair{a, b}
		for _, have := range found[p] {
			if have.Kind == r.Kind && (r.Kind == ReasonNameAddress || have.Value == r.Value) {
				return
			}
		}
		found[p] = append(found[p], r)
	}
	skipped := 0
	var fuzzy [][]blockKey // name and address blocks, compared pairwise below
	for start := 0; start < len(keys); {
		end := start + 1
		for end < len(keys) && keys[end].h == keys[start].h && keys[end].kind == keys[start].kind {
			end++
		}
		block := keys[start:end]
		start = end
		if len(block) < 2 {
			continue
		}
		switch k := block[0].kind; k {
		case keyPhone, keyEmail, keyUnionID:
			// Everyone in the block shares the key: pair each with the
			// first, which is enough to merge them all one by one.
			kind := map[byte]string{keyPhone: ReasonPhone, keyEmail: ReasonEmail, keyUnionID: ReasonUnionID}[k]
			w := map[byte]float64{keyPhone: weightPhone, keyEmail: weightEmail, keyUnionID: weightUnionID}[k]
			for _, o := range block[1:] {
				if v := vals[o.val]; v == vals[block[0].val] {
					add(block[0].i, o.i, Reason{Kind: kind, Value: v, Weight: w})
				}
			}
		default:
			if len(block) > blockCap {
				skipped++
				continue
			}
			fuzzy = append(fuzzy, block)
		}
	}
	// Comparing the pairs of name and address blocks is most of the work:
	// spread the blocks over the cores.
	type match struct {
		a, b int32
		r    Reason
	}
	workers := min(runtime.GOMAXPROCS(0), 8)
	found2 := make([][]match, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for bi := w; bi < len(fuzzy); bi += workers {
				block := fuzzy[bi]
				for x := range block {
					for y := x + 1; y < len(block); y++ {
						if r, ok := nameAddrReason(&recs[block[x].i], &recs[block[y].i]); ok {
							found2[w] = append(found2[w], match{block[x].i, block[y].i, r})
						}
					}
				}
			}
		})
	}
	wg.Wait()
	for _, ms := range found2 {
		for _, m := range ms {
			add(m.a, m.b, m.r)
		}
	}

	cands := make([]Candidate, 0, len(found))
	need := map[int64]*Party{}
	for p, rs := range found {
		c := Candidate{A: Party{ID: recs[p.a].id}, B: Party{ID: recs[p.b].id}, Reasons: rs}
		c.Score = combine(rs)
		slices.SortFunc(c.Reasons, func(x, y Reason) int { return cmp.Compare(y.Weight, x.Weight) })
		cands = append(cands, c)
		need[c.A.ID], need[c.B.ID] = nil, nil
	}
	if err := loadParties(ctx, db, shopID, need); err != nil {
		return nil, 0, err
	}
	for i := range cands {
		c := &cands[i]
		a, b := need[c.A.ID], need[c.B.ID]
		if a == nil || b == nil {
			continue
		}
		if b.CreatedAt < a.CreatedAt {
			a, b = b, a
		}
		c.A, c.B = *a, *b
		for j, r := range c.Reasons {
			if r.Kind == ReasonPhone || r.Kind == ReasonEmail {
				c.Reasons[j].Value = shownContact(fk, shopID, r, a, b)
			}
			if r.Kind == ReasonNameAddress {
				c.Reasons[j].Value = a.Name + "/" + b.Name
				if a.Name == b.Name {
					c.Reasons[j].Value = a.Name
				}
			}
		}
	}
	slices.SortFunc(cands, func(x, y Candidate) int {
		return cmp.Or(cmp.Compare(y.Score, x.Score), cmp.Compare(x.A.ID, y.A.ID), cmp.Compare(x.B.ID, y.B.ID))
	})
	return cands, skipped, nil
}

// shownContact is the phone or e-mail a reason found by keyed hash stands
// for, from either customer's record, or "" when it is only an identity of
// theirs, whose hash tells nothing.
func shownContact(k *seal.Keys, shopID int64, r Reason, parties ...*Party) string {
	for _, p := range parties {
		if r.Kind == ReasonPhone {
			if v := guanxi.NormalizePhone(p.Phone); v != "" && k.Hash(shopID, "phone", v) == r.Value {
				return v
			}
		} else if v := guanxi.NormalizeEmail(p.Email); v != "" && k.Hash(shopID, "email", v) == r.Value {
			return v
		}
	}
	return ""
}

// loadParties fills in the customers named by need's keys.
func loadParties(ctx context.Context, db *store.DB, shopID int64, need map[int64]*Party) error {
	ids := slices.Sorted(func(yield func(int64) bool) {
		for id := range need {
			if !yield(id) {
				return
			}
		}
	})
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := []any{shopID}
		for _, id := range part {
			args = append(args, id)
		}
		rows, err := db.Query(ctx, `SELECT id, name, phone, email, province, city, address, version, created_at FROM customers
WHERE shop_id = ? AND id IN (`+store.In(len(part))+`)`, args...)
		if err != nil {
			return fmt.Errorf("customer: duplicates of shop %d: %w", shopID, err)
		}
		for rows.Next() {
			var p Party
			err := rows.Scan(&p.ID, &p.Name, &p.Phone, &p.Email, &p.Province, &p.City, &p.Address, &p.Version, &p.CreatedAt)
			if err == nil {
				err = db.Keys().OpenAll(seal.Phone(&p.Phone), seal.Email(&p.Email))
			}
			if err != nil {
				rows.Close()
				return fmt.Errorf("customer: duplicates of shop %d: %w", shopID, err)
			}
			need[p.ID] = &p
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("customer: duplicates of shop %d: %w", shopID, err)
		}
	}
	return nil
}

func combine(rs []Reason) float64 {
	miss := 1.0
	for _, r := range rs {
		miss *= 1 - r.Weight
	}
	return 1 - miss
}

// nameAddrReason reports whether two customers have a similar name (equal
// once normalised, or one edit apart, names of two runes or more) and a
// similar address in the same province and city.
func nameAddrReason(a, b *dupeRec) (Reason, bool) {
	if a.loc == "" || a.loc != b.loc || a.runes < 2 || b.runes < 2 || a.addr == "" || b.addr == "" {
		return Reason{}, false
	}
	sameAddr := a.addr == b.addr
	if !sameAddr && !similarAddress(a.addr, b.addr, a.sig, b.sig) {
		return Reason{}, false
	}
	sameName := a.name == b.name
	if !sameName && !within1(a.name, b.name) {
		return Reason{}, false
	}
	r := Reason{Kind: ReasonNameAddress, Exact: sameName && sameAddr}
	switch {
	case sameName && sameAddr:
		r.Weight = weightNameAddrSame
	case sameName || sameAddr:
		r.Weight = weightNameAddr
	default:
		r.Weight = weightNameAddrNear
	}
	_, city, _ := strings.Cut(a.loc, "|")
	r.Detail = strings.TrimSpace(city + " " + a.addr)
	return r, true
}

// similarAddress: equal, one a prefix of the other (a room number added)
// when the shorter has six runes or more, or at most two edits apart when
// both have eight runes or more.
func similarAddress(a, b string, sigA, sigB uint64) bool {
	if a == b {
		return true
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	if strings.HasPrefix(b, a) {
		return utf8.RuneCountInString(a) >= 6
	}
	if bits.OnesCount64(sigA^sigB) > 4 {
		return false
	}
	na, nb := utf8.RuneCountInString(a), utf8.RuneCountInString(b)
	if na < 8 || nb-na > 2 || nb > 64 {
		return false
	}
	var sa, sb [64]rune
	ra, rb := sa[:0], sb[:0]
	for _, c := range a {
		ra = append(ra, c)
	}
	for _, c := range b {
		rb = append(rb, c)
	}
	return editDistance(ra, rb, 2) <= 2
}

// within1 reports whether a and b are at most one edit (insertion,
// deletion or substitution of a rune) apart.
func within1(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	// Skip the common prefix and suffix; what is left must be at most one
	// rune on each side.
	for a != "" && b != "" {
		ca, sa := utf8.DecodeRuneInString(a)
		cb, sb := utf8.DecodeRuneInString(b)
		if ca != cb {
			break
		}
		a, b = a[sa:], b[sb:]
	}
	for a != "" && b != "" {
		ca, sa := utf8.DecodeLastRuneInString(a)
		cb, sb := utf8.DecodeLastRuneInString(b)
		if ca != cb {
			break
		}
		a, b = a[:len(a)-sa], b[:len(b)-sb]
	}
	return utf8.RuneCountInString(a) <= 1 && utf8.RuneCountInString(b) <= 1
}

// editDistance is the Levenshtein distance of a and b in runes, or bound+1
// when it is more than bound.
func editDistance(a, b []rune, bound int) int {
	if d := len(a) - len(b); d > bound || -d > bound {
		return bound + 1
	}
	var sp, sc [65]int
	prev, cur := sp[:0], sc[:0]
	if len(b) >= len(sp) {
		prev, cur = make([]int, 0, len(b)+1), make([]int, 0, len(b)+1)
	}
	prev, cur = prev[:len(b)+1], cur[:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c = 1 + min(prev[j-1], prev[j], cur[j-1])
			}
			cur[j] = c
			best = min(best, c)
		}
		if best > bound {
			return bound + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// normName folds full-width forms, lower-cases and drops spaces, dots and
// punctuation: "王 芳", "王芳 " and "ＷＡＮＧ·Fang" compare as their letters.
func normName(s string) string {
	clean := true
	for _, r := range s {
		if r < 0x80 && !('a' <= r && r <= 'z' || '0' <= r && r <= '9') || r >= 0xFF00 && r <= 0xFFEF || r == 0x3000 || r == '·' || r == '•' ||
			r >= 0x80 && (unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	s = strings.ToLower(width.Fold.String(s))
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || r == '·' || r == '•' {
			return -1
		}
		return r
	}, s)
}

// regionSuffixes are taken off province and city names, longest first, so
// "浙江省" and "浙江", "杭州市" and "杭州" agree.
var regionSuffixes = []string{"特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "省", "市", "地区", "盟"}

func normRegion(s string) string {
	s = normName(s)
	for _, suf := range regionSuffixes {
		if t, ok := strings.CutSuffix(s, suf); ok && t != "" {
			return t
		}
	}
	return s
}

// normAddress normalises an address like a name and takes off a leading
// province and city, which addresses repeat or not at whim.
func normAddress(s, province, city string) string {
	s = normName(s)
	for _, p := range []string{province, city} {
		if p == "" {
			continue
		}
		if t, ok := strings.CutPrefix(s, p); ok {
			s = t
			for _, suf := range regionSuffixes {
				if t, ok := strings.CutPrefix(s, suf); ok {
					s = t
					break
				}
			}
		}
	}
	return s
}

// Dismiss records that customers a and b are not one person, so they are
// not offered as duplicates again. It is idempotent; ENOTFOUND when either
// is not a customer of the shop.
func (s *Service) Dismiss(ctx context.Context, shopID, a, b, actor int64, now time.Time) error {
	if a == b {
		return guanxi.Errorf(guanxi.EINVALID, "a customer cannot be dismissed as its own duplicate")
	}
	if a > b {
		a, b = b, a
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM customers WHERE shop_id = ? AND id IN (?, ?)`, shopID, a, b).Scan(&n); err != nil {
			return err
		}
		if n != 2 {
			return guanxi.Errorf(guanxi.ENOTFOUND, "customer %d or %d not found", a, b)
		}
		_, err := tx.Exec(ctx, `INSERT INTO customer_duplicate_dismissals (shop_id, customer_a, customer_b, dismissed_by, dismissed_at)
VALUES (?, ?, ?, ?, ?) ON CONFLICT (shop_id, customer_a, customer_b) DO NOTHING`, shopID, a, b, store.NullInt(actor), now.Unix())
		return err
	})
	if err != nil {
		if guanxi.ErrorCode(err) == guanxi.EINTERNAL {
			return fmt.Errorf("customer: dismiss %d and %d in shop %d: %w", a, b, shopID, err)
		}
		return err
	}
	s.patchDupes(shopID, func(x, y int64) bool { return min(x, y) == a && max(x, y) == b }, nil)
	return nil
}

// pairReasons are the reasons two customers may be one person, computed
// for this pair alone (the merge preview and the merge record use it).
func pairReasons(ctx context.Context, q querier, shopID int64, a, b *row) ([]Reason, error) {
	k := q.Keys()
	keysOf := func(r *row) (map[string]string, error) {
		// Keyed by hash, the form identities hold phones and e-mails in.
		ks := map[string]string{}
		if v := guanxi.NormalizePhone(r.phone); v != "" {
			ks[ReasonPhone+":"+k.Hash(shopID, "phone", v)] = v
		}
		if v := guanxi.NormalizeEmail(r.email); v != "" {
			ks[ReasonEmail+":"+k.Hash(shopID, "email", v)] = v
		}
		rows, err := q.Query(ctx, `SELECT platform, kind, value FROM customer_identities WHERE shop_id = ? AND customer_id = ?`, shopID, r.ID)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var platform, kind, value string
			if err := rows.Scan(&platform, &kind, &value); err != nil {
				return nil, err
			}
			switch {
			case kind == "unionid":
				ks[ReasonUnionID+":"+value] = value
			case platform == "" && (kind == "phone" || kind == "email"):
				if _, ok := ks[kind+":"+value]; !ok {
					ks[kind+":"+value] = "" // a hash alone: nothing to show
				}
			}
		}
		return ks, rows.Err()
	}
	ka, err := keysOf(a)
	if err != nil {
		return nil, err
	}
	kb, err := keysOf(b)
	if err != nil {
		return nil, err
	}
	var out []Reason
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range ka {
			if !yield(k) {
				return
			}
		}
	}) {
		if _, ok := kb[k]; !ok {
			continue
		}
		kind, _, _ := strings.Cut(k, ":")
		w := map[string]float64{ReasonPhone: weightPhone, ReasonEmail: weightEmail, ReasonUnionID: weightUnionID}[kind]
		out = append(out, Reason{Kind: kind, Value: ka[k], Weight: w})
	}
	ra, rb := a.dupeRec(), b.dupeRec()
	if r, ok := nameAddrReason(&ra, &rb); ok {
		r.Value = a.Name + "/" + b.Name
		if a.Name == b.Name {
			r.Value = a.Name
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(x, y Reason) int { return cmp.Compare(y.Weight, x.Weight) })
	return out, nil
}

func (r *row) dupeRec() dupeRec {
	d := dupeRec{id: r.ID, name: normName(r.Name)}
	d.runes = utf8.RuneCountInString(d.name)
	if p, c := normRegion(r.Province), normRegion(r.City); p != "" || c != "" {
		d.loc = p + "|" + c
		d.addr = normAddress(r.Address, p, c)
		d.sig = runeSig(d.addr)
	}
	return d
}

// querier is a transaction or the database.
type querier interface {
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
	Keys() *seal.Keys
}

// ScoreText formats a score as a whole percentage.
func ScoreText(score float64) string { return strconv.Itoa(int(score*100+0.5)) + "%" }
