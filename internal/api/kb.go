package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/kb"
)

// The knowledge base (issue 6 §4): categories and articles, and search as
// the public page and the agents' suggestions do it. kb:read reads and
// searches, drafts included; kb:write creates, changes and deletes.

// kbService returns the knowledge base, or ENOTFOUND when the server runs
// without one.
func (a *API) kbService() (*kb.Service, error) {
	if a.cfg.KB == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "the knowledge base is not available")
	}
	return a.cfg.KB, nil
}

type kbCategoryIn struct {
	Name     string `json:"name"`
	Position int    `json:"position"`
	Version  int64  `json:"version"` // PUT: the version read
}

type kbArticleIn struct {
	CategoryID int64  `json:"category_id"`
	Title      string `json:"title"`
	Body       string `json:"body"`
	Language   string `json:"language"`
	Published  bool   `json:"published"`
	Version    int64  `json:"version"` // PUT: the version read
}

func (a *API) listKBCategories(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.kbService()
	if err != nil {
		return err
	}
	return listAll(w, r, t, "categories", svc.Categories, func(c *kb.Category) *kb.Category { return c })
}

func (a *API) createKBCategory(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.kbService()
	if err != nil {
		return err
	}
	var in kbCategoryIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	c := &kb.Category{Name: in.Name, Position: in.Position}
	if err := svc.CreateCategory(ctx, t.ShopID, c); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/kb/categories/"+strconv.FormatInt(c.ID, 10))
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (a *API) putKBCategory(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.kbService()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	// Another shop's category is not found, whatever the body says.
	if _, err := svc.Category(ctx, t.ShopID, id); err != nil {
		return err
	}
	var in kbCategoryIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c := &kb.Category{ID: id, Name: in.Name, Position: in.Position, Version: in.Version}
	if err := svc.UpdateCategory(ctx, t.ShopID, c); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (a *API) deleteKBCategory(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.kbService()
	if err != nil {
		return err
	}
	return deleteOne(w, r, t, svc.DeleteCategory)
}

// listKBArticles: GET /kb/articles, newest change first, optionally of one
// category_id, language (zh, en) or published (true, false).
func (a *API) listKBArticles(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.kbService()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := kb.Filter{Language: q.Get("language")}
	if err := checkLanguage("language", f.Language); err != nil {
		return err
	}
	if s := q.Get("category_id"); s != "" {
		if f.CategoryID, err = strconv.ParseInt(s, 10, 64); err != nil || f.CategoryID <= 0 {
			return guanxi.Errorf(guanxi.EINVALID, "category_id %q: expected a positive whole number", s)
		}
	}
	published, err := queryBool(r, "published")
	if err != nil {
		return err
	}
	if f.Limit, err = queryInt(r, "limit", 500, 1, 5000); err != nil {
		return err
	}
	f.PublishedOnly = published != nil && *published
	list := func(ctx context.Context, shopID int64) ([]kb.Article, error) {
		as, err := svc.Articles(ctx, shopID, f)
		if err != nil || published == nil || *published {
			return as, err
		}
		drafts := as[:0]
		for _, a := range as {
			if !a.Published {
				drafts = append(drafts, a)
			}
		}
		return drafts, nil
	}
	return listAll(w, r, t, "articles", list, func(a *kb.Article) *kb.Article { return a })
}

// checkLanguage refuses a query parameter's language other than the
// knowledge base's two; "" is none.
func checkLanguage(name, v string) error {
	if v != "" && !slices.Contains(kb.Languages, v) {
		return guanxi.Errorf(guanxi.EINVALID, "%s %q: expected zh or en", name, v)
	}
	return nil
}

// queryBool reads an optional true/false query parameter.
func queryBool(r *http.Request, name string) (*bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, guanxi.Errorf(guanxi.EINVALID, "%s %q: expected true or false", name, s)
	}
	return &b, nil
}

func (a *API) getKBArticle(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.kbService()
	if err != nil {
		return err
	}
	return getOne(w, r, t, svc.Article, func(a *kb.Article) *kb.Article { return a })
}

func (in kbArticleIn) article() *kb.Article {
	return &kb.Article{CategoryID: in.CategoryID, Title: in.Title, Body: in.Body, Language: in.Language, Published: in.Published, Version: in.Version}
}

func (a *API) createKBArticle(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.kbService()
	if err != nil {
		return err
	}
	var in kbArticleIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	art := in.article()
	if err := svc.CreateArticle(ctx, t.ShopID, art); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/kb/articles/"+strconv.FormatInt(art.ID, 10))
	writeJSON(w, http.StatusCreated, art)
	return nil
}

func (a *API) putKBArticle(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.kbService()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	if _, err := svc.Article(ctx, t.ShopID, id); err != nil {
		return err
	}
	var in kbArticleIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	art := in.article()
	art.ID = id
	if err := svc.UpdateArticle(ctx, t.ShopID, art); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, art)
	return nil
}

func (a *API) deleteKBArticle(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.kbService()
	if err != nil {
		return err
	}
	return deleteOne(w, r, t, svc.DeleteArticle)
}

// searchKB: GET /kb/search?q=, best first; published=true searches what the
// public page shows, language= one language, prefer= a language first.
func (a *API) searchKB(w http.ResponseWriter, r *http.Request, t *auth.Token) error {
	svc, err := a.kbService()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if q.Get("q") == "" {
		return guanxi.Errorf(guanxi.EINVALID, "q: required")
	}
	if len(q.Get("q")) > 4000 {
		return guanxi.Errorf(guanxi.EINVALID, "q: longer than 4000 bytes")
	}
	o := kb.Options{Language: q.Get("language"), Prefer: q.Get("prefer")}
	for name, v := range map[string]string{"language": o.Language, "prefer": o.Prefer} {
		if err := checkLanguage(name, v); err != nil {
			return err
		}
	}
	published, err := queryBool(r, "published")
	if err != nil {
		return err
	}
	o.PublishedOnly = published != nil && *published
	if o.Limit, err = queryInt(r, "limit", 20, 1, 200); err != nil {
		return err
	}
	ctx, cancel := withTimeout(r)
	defer cancel()
	hits, err := svc.Search(ctx, t.ShopID, q.Get("q"), o)
	if err != nil {
		return err
	}
	if hits == nil {
		hits = []kb.Hit{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"hits": hits})
	return nil
}
