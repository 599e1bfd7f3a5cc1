package kb

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/width"

	"github.com/guanxi-crm/guanxi/internal/store"
)

// Search runs in Go over an inverted index of the shop's articles, built
// on the first search and kept per shop. Why not the database: SQLite's
// FTS5 and PostgreSQL's tsvector tokenise differently (neither splits
// Chinese, which has no spaces, without an extension), so one tokeniser in
// Go is the only way to rank alike on both engines; and a shop has hundreds
// to a few thousand articles, a few megabytes of index, built in under a
// second and searched in under a millisecond (BenchmarkSearch: 0.3-0.6 ms
// on 5,000 articles whose small vocabulary makes every term match half of
// them, so a worst case).
//
// The index is dropped on every write through this Service, and before use
// it is checked against the shop's change counter (shop_counters row
// "kb_changes", bumped in every article or category write's transaction):
// a one-row read, so a write by another process (a second server, the CLI)
// is seen on the next search. An aggregate over the articles was tried
// first and took 6 of the 7 ms a search then cost on 5,000 articles.
// Votes and views do not bump it: counts are read fresh for the hits.

// Ranking: BM25F, the title's term frequency weighted titleWeight times
// the body's, each normalised by its field's length.
const (
	k1          = 1.2
	bm25b       = 0.75
	titleWeight = 3.0
	// maxQueryTokens bounds the work of a long query (an agent's whole reply).
	maxQueryTokens = 64
)

type posting struct {
	doc         int32
	title, body uint16 // term frequencies, saturated
}

type doc struct {
	id        int64
	category  int64
	language  string
	published bool
	titleLen  float64
	bodyLen   float64
	plain     string // the body as shown in snippets
}

// fingerprint is the shop's change counter when the index was built.
type fingerprint int64

// changesCounter names the shop_counters row bumped by every write.
const changesCounter = "kb_changes"

// changed bumps the shop's change counter in the write's transaction.
func changed(ctx context.Context, tx *store.Tx, shopID int64) error {
	if _, err := tx.NextIDs(ctx, shopID, changesCounter, 1); err != nil {
		return fmt.Errorf("kb: count a change in shop %d: %w", shopID, err)
	}
	return nil
}

type index struct {
	fp              fingerprint
	docs            []doc
	postings        map[string][]posting
	avgTitle, avgBd float64
}

func (s *Service) invalidate(shopID int64) {
	s.mu.Lock()
	delete(s.index, shopID)
	s.mu.Unlock()
}

func (s *Service) fingerprint(ctx context.Context, shopID int64) (fingerprint, error) {
	var fp fingerprint
	err := s.db.QueryRow(ctx, `SELECT COALESCE(MAX(next_id), 0) FROM shop_counters WHERE shop_id = ? AND name = ?`, shopID, changesCounter).Scan(&fp)
	if err != nil {
		return fp, fmt.Errorf("kb: fingerprint of shop %d: %w", shopID, err)
	}
	return fp, nil
}

// indexOf returns the shop's index, building it when it is missing or
// stale.
func (s *Service) indexOf(ctx context.Context, shopID int64) (*index, error) {
	fp, err := s.fingerprint(ctx, shopID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	ix := s.index[shopID]
	s.mu.Unlock()
	if ix != nil && ix.fp == fp {
		return ix, nil
	}
	// The counter is read before the articles, so an index is never older
	// than its fingerprint says: a write committed in between only makes
	// the next search rebuild again.
	as, err := articleList(ctx, s.db, shopID, `WHERE shop_id = ? ORDER BY id`, shopID)
	if err != nil {
		return nil, err
	}
	ix = buildIndex(as)
	ix.fp = fp
	s.mu.Lock()
	s.index[shopID] = ix
	s.mu.Unlock()
	return ix, nil
}

func buildIndex(as []Article) *index {
	ix := &index{postings: map[string][]posting{}}
	var sumT, sumB float64
	for i, a := range as {
		d := doc{id: a.ID, category: a.CategoryID, language: a.Language, published: a.Published}
		title, body := Tokens(a.Title, false), Tokens(a.Body, false)
		d.titleLen, d.bodyLen = float64(len(title)), float64(len(body))
		sumT, sumB = sumT+d.titleLen, sumB+d.bodyLen
		d.plain = PlainText(a.Body)
		tf := map[string]*posting{}
		for _, field := range []struct {
			toks  []string
			title bool
		}{{title, true}, {body, false}} {
			for _, t := range field.toks {
				p := tf[t]
				if p == nil {
					p = &posting{doc: int32(i)}
					tf[t] = p
				}
				if field.title && p.title < math.MaxUint16 {
					p.title++
				} else if !field.title && p.body < math.MaxUint16 {
					p.body++
				}
			}
		}
		for t, p := range tf {
			ix.postings[t] = append(ix.postings[t], *p)
		}
		ix.docs = append(ix.docs, d)
	}
	if n := float64(len(as)); n > 0 {
		ix.avgTitle, ix.avgBd = max(sumT/n, 1), max(sumB/n, 1)
	}
	return ix
}

// Options narrows a search.
type Options struct {
	PublishedOnly bool   // the public page and agents' suggestions
	Language      string // only this language ("" any)
	// Prefer puts articles in this language before the others, each group
	// by score: a visitor reads their own language first but still finds
	// an article only written in the other.
	Prefer     string
	CategoryID int64
	Limit      int // default 20, at most 200
}

// Hit is an article found by a search, with its score and a snippet of the
// text around the first match.
type Hit struct {
	Article
	Score   float64 `json:"score"`
	Snippet string  `json:"snippet"`
}

// Search finds a shop's articles matching query, best first. An empty
// query (or one of only punctuation) finds nothing.
func (s *Service) Search(ctx context.Context, shopID int64, query string, o Options) ([]Hit, error) {
	toks := queryTokens(query)
	if len(toks) == 0 {
		return nil, nil
	}
	ix, err := s.indexOf(ctx, shopID)
	if err != nil {
		return nil, err
	}
	limit := o.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 200)
	ranked := ix.rank(toks, o, limit)
	if len(ranked) == 0 {
		return nil, nil
	}
	// Counts and the stored text come fresh from the table: votes and
	// views do not rebuild the index.
	ids := make([]any, 0, len(ranked)+1)
	ids = append(ids, shopID)
	for _, r := range ranked {
		ids = append(ids, ix.docs[r.doc].id)
	}
	as, err := articleList(ctx, s.db, shopID, `WHERE shop_id = ? AND id IN (`+store.In(len(ranked))+`)`, ids...)
	if err != nil {
		return nil, err
	}
	byID := map[int64]Article{}
	for _, a := range as {
		byID[a.ID] = a
	}
	out := make([]Hit, 0, len(ranked))
	for _, r := range ranked {
		d := &ix.docs[r.doc]
		a, ok := byID[d.id]
		if !ok || o.PublishedOnly && !a.Published {
			continue // deleted or unpublished since the index was checked
		}
		out = append(out, Hit{Article: a, Score: r.score, Snippet: snippet(d, toks)})
	}
	return out, nil
}

type scored struct {
	doc   int32
	score float64
	pref  bool
}

// rank scores every document holding a query token by BM25F and returns
// the best limit of those the options allow. Scores go in a dense slice and
// the best are kept in a bounded heap: sorting every match cost more than
// scoring them once half the shop matched a common word.
func (ix *index) rank(toks []string, o Options, limit int) []scored {
	n := float64(len(ix.docs))
	scores := make([]float64, len(ix.docs))
	var touched []int32
	for _, t := range toks {
		ps := ix.postings[t]
		if len(ps) == 0 {
			continue
		}
		df := float64(len(ps))
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		for _, p := range ps {
			d := &ix.docs[p.doc]
			if o.PublishedOnly && !d.published || o.Language != "" && d.language != o.Language || o.CategoryID != 0 && d.category != o.CategoryID {
				continue
			}
			tf := titleWeight*float64(p.title)/(1-bm25b+bm25b*d.titleLen/ix.avgTitle) + float64(p.body)/(1-bm25b+bm25b*d.bodyLen/ix.avgBd)
			if scores[p.doc] == 0 {
				touched = append(touched, p.doc)
			}
			scores[p.doc] += idf * tf * (k1 + 1) / (tf + k1)
		}
	}
	h := &topK{ix: ix}
	for _, d := range touched {
		c := scored{doc: d, score: scores[d], pref: o.Prefer != "" && ix.docs[d].language == o.Prefer}
		if h.Len() < limit {
			heap.Push(h, c)
		} else if h.better(c, h.s[0]) {
			h.s[0] = c
			heap.Fix(h, 0)
		}
	}
	out := h.s
	sort.Slice(out, func(i, j int) bool { return h.better(out[i], out[j]) })
	return out
}

// topK is a min-heap of the best results so far, the worst on top.
type topK struct {
	ix *index
	s  []scored
}

// better orders results: the preferred language first, then by score,
// then by id for a stable answer.
func (h *topK) better(a, b scored) bool {
	if a.pref != b.pref {
		return a.pref
	}
	if a.score != b.score {
		return a.score > b.score
	}
	return h.ix.docs[a.doc].id < h.ix.docs[b.doc].id
}

func (h *topK) Len() int           { return len(h.s) }
func (h *topK) Less(i, j int) bool { return h.better(h.s[j], h.s[i]) }
func (h *topK) Swap(i, j int)      { h.s[i], h.s[j] = h.s[j], h.s[i] }
func (h *topK) Push(x any)         { h.s = append(h.s, x.(scored)) }
func (h *topK) Pop() any {
	x := h.s[len(h.s)-1]
	h.s = h.s[:len(h.s)-1]
	return x
}

// ---- tokenising

// isCJK reports whether r is written without spaces between words: Han
// characters, kana and hangul.
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// Tokens splits text into search terms. Chinese has no spaces, so a run of
// CJK characters becomes its overlapping character bigrams (退货退款 →
// 退货 货退 退款), which find words of two or more characters without a
// dictionary; for the index (query false) each character is a term too, so
// a one-character query finds it. Other letters and digits form words,
// lower-cased (full-width forms folded to ASCII) with plurals stemmed
// (refunds → refund, policies → policy, boxes → box). Everything else
// separates.
func Tokens(text string, query bool) []string {
	text = width.Fold.String(text)
	var out []string
	var run []rune
	cjk := false
	flush := func() {
		if len(run) == 0 {
			return
		}
		if cjk {
			if len(run) == 1 || !query {
				for _, r := range run {
					out = append(out, string(r))
				}
			}
			for i := 0; i+1 < len(run); i++ {
				out = append(out, string(run[i:i+2]))
			}
		} else {
			out = append(out, stem(strings.ToLower(string(run))))
		}
		run = run[:0]
	}
	for _, r := range text {
		switch {
		case isCJK(r):
			if !cjk {
				flush()
			}
			cjk = true
			run = append(run, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if cjk {
				flush()
			}
			cjk = false
			run = append(run, r)
		default:
			flush()
		}
	}
	flush()
	return out
}

// queryTokens are a query's distinct tokens, at most maxQueryTokens.
func queryTokens(q string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range Tokens(q, true) {
		if !seen[t] && len(out) < maxQueryTokens {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// stem strips an English plural: a simple rule set, not Porter, because
// plurals are most of what separates a question from an article's words.
func stem(w string) string {
	n := len(w)
	if n <= 3 || w[n-1] != 's' {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && n > 4:
		return w[:n-3] + "y"
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "zes"),
		strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"):
		return w[:n-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
		return w
	}
	return w[:n-1]
}

// ---- snippets

const (
	snippetBefore = 20
	snippetLen    = 90
)

// snippet is the body's text around the first query token found in it, or
// the body's start.
func snippet(d *doc, toks []string) string {
	body := []rune(d.plain)
	// Matched folded and lower-cased as the tokens were, rune for rune, so
	// the snippet shows the text as written (full-width ，stays).
	lower := make([]rune, len(body))
	for i, r := range body {
		if f := width.LookupRune(r).Folded(); f != 0 {
			r = f
		}
		lower[i] = unicode.ToLower(r)
	}
	at := -1
	for _, t := range toks {
		if i := runeIndex(lower, []rune(t)); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	start := 0
	if at > snippetBefore {
		start = at - snippetBefore
	}
	end := min(start+snippetLen, len(body))
	s := strings.Join(strings.Fields(string(body[start:end])), " ")
	if start > 0 {
		s = "…" + s
	}
	if end < len(body) {
		s += "…"
	}
	return s
}

func runeIndex(s, sub []rune) int {
	if len(sub) == 0 {
		return -1
	}
outer:
	for i := 0; i+len(sub) <= len(s); i++ {
		for j, r := range sub {
			if s[i+j] != r {
				continue outer
			}
		}
		return i
	}
	return -1
}
