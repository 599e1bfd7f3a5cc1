package ui

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/auth"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/kb"
)

// canWriteKB reports whether a role may write the knowledge base: the
// people who answer customers (agents, care staff) and admins; analysts
// read it, as they read campaigns.
func canWriteKB(r auth.Role) bool {
	return r == auth.RoleAdmin || r == auth.RoleAgent || r == auth.RoleCare
}

var errKBReadOnly = guanxi.Errorf(guanxi.EFORBIDDEN, "your role in this shop may not change the knowledge base")

type kbListPage struct {
	Query      string
	Lang       string
	Status     string // "", published, draft
	CategoryID int64
	Categories []kb.Category
	Articles   []kb.Article
	Scores     map[int64]float64 // by article, when searching
	CanWrite   bool
	Done       string
}

// CategoryName names one of the page's categories.
func (p *kbListPage) CategoryName(id int64) string { return categoryName(p.Categories, id) }

func categoryName(cs []kb.Category, id int64) string {
	for _, c := range cs {
		if c.ID == id {
			return c.Name
		}
	}
	return ""
}

// HelpfulPercent is an article's share of helpful votes as "75%", or "–"
// without votes.
func (p *kbListPage) HelpfulPercent(a kb.Article) string {
	if s, ok := a.HelpfulShare(); ok {
		return strconv.Itoa(int(100*s+0.5)) + "%"
	}
	return "–"
}

// kbList is the staff's list of articles, with views, votes and the
// helpful share; ?q= searches drafts too.
func (u *UI) kbList(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.kbService()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	ctx, q := r.Context(), r.URL.Query()
	p := &kbListPage{Query: strings.TrimSpace(q.Get("q")), Lang: q.Get("lang"), Status: q.Get("status"), CanWrite: canWriteKB(rq.role), Done: q.Get("done")}
	if !slices.Contains(kb.Languages, p.Lang) {
		p.Lang = ""
	}
	p.CategoryID, _ = strconv.ParseInt(q.Get("c"), 10, 64)
	if p.Categories, err = svc.Categories(ctx, rq.shop.ID); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	keep := func(a kb.Article) bool {
		return p.Status == "" || (p.Status == "published") == a.Published
	}
	if p.Query != "" {
		hits, err := svc.Search(ctx, rq.shop.ID, p.Query, kb.Options{Language: p.Lang, CategoryID: p.CategoryID, Limit: 200})
		if err != nil {
			u.fail(w, r, rq, err)
			return
		}
		p.Scores = map[int64]float64{}
		for _, h := range hits {
			if keep(h.Article) {
				p.Articles = append(p.Articles, h.Article)
				p.Scores[h.ID] = h.Score
			}
		}
	} else {
		arts, err := svc.Articles(ctx, rq.shop.ID, kb.Filter{Language: p.Lang, CategoryID: p.CategoryID, Limit: 1000})
		if err != nil {
			u.fail(w, r, rq, err)
			return
		}
		for _, a := range arts {
			if keep(a) {
				p.Articles = append(p.Articles, a)
			}
		}
	}
	u.render(w, r, rq, http.StatusOK, "kb_list", "", u.view(r, rq, "kb", p))
}

type kbEditPage struct {
	Article    *kb.Article // as stored; nil for a new one
	Form       kb.Article  // as typed
	Categories []kb.Category
	Preview    template.HTML
	CanWrite   bool
	Error      string
	Saved      bool
}

// kbNew shows an empty editor.
func (u *UI) kbNew(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canWriteKB(rq.role) {
		u.fail(w, r, rq, errKBReadOnly)
		return
	}
	lang := kb.Chinese
	if rq.locale == i18n.En {
		lang = kb.English
	}
	u.kbEditor(w, r, rq, http.StatusOK, &kbEditPage{Form: kb.Article{Language: lang}})
}

func (u *UI) kbEditor(w http.ResponseWriter, r *http.Request, rq *request, status int, p *kbEditPage) {
	svc, err := u.kbService()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.Categories, err = svc.Categories(r.Context(), rq.shop.ID); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p.CanWrite = canWriteKB(rq.role)
	p.Preview = kb.Render(p.Form.Body)
	u.render(w, r, rq, status, "kb_edit", "", u.view(r, rq, "kb", p))
}

// kbArticleOf reads the article of the path in the user's shop.
func (u *UI) kbArticleOf(r *http.Request, rq *request) (*kb.Service, *kb.Article, error) {
	svc, err := u.kbService()
	if err != nil {
		return nil, nil, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, nil, guanxi.Errorf(guanxi.ENOTFOUND, "no article %q", r.PathValue("id"))
	}
	a, err := svc.Article(r.Context(), rq.shop.ID, id)
	return svc, a, err
}

// kbEdit shows an article in the editor (read-only to analysts).
func (u *UI) kbEdit(w http.ResponseWriter, r *http.Request, rq *request) {
	_, a, err := u.kbArticleOf(r, rq)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.kbEditor(w, r, rq, http.StatusOK, &kbEditPage{Article: a, Form: *a, Saved: r.URL.Query().Get("saved") == "1"})
}

func kbFormOf(r *http.Request) kb.Article {
	a := kb.Article{Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), Language: r.PostFormValue("language"),
		Published: r.PostFormValue("published") == "1"}
	a.CategoryID, _ = strconv.ParseInt(r.PostFormValue("category_id"), 10, 64)
	a.Version, _ = strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	return a
}

// kbCreate saves a new article.
func (u *UI) kbCreate(w http.ResponseWriter, r *http.Request, rq *request) {
	u.kbSave(w, r, rq, nil)
}

// kbUpdate saves an article's changes; a stale form is refused with 409.
func (u *UI) kbUpdate(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canWriteKB(rq.role) {
		u.fail(w, r, rq, errKBReadOnly)
		return
	}
	_, a, err := u.kbArticleOf(r, rq)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.kbSave(w, r, rq, a)
}

func (u *UI) kbSave(w http.ResponseWriter, r *http.Request, rq *request, cur *kb.Article) {
	if !canWriteKB(rq.role) {
		u.fail(w, r, rq, errKBReadOnly)
		return
	}
	svc, err := u.kbService()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 512<<10)
	f := kbFormOf(r)
	a := f
	if cur == nil {
		err = svc.CreateArticle(r.Context(), rq.shop.ID, &a)
	} else {
		a.ID = cur.ID
		err = svc.UpdateArticle(r.Context(), rq.shop.ID, &a)
	}
	if err != nil {
		if status, ok := formStatus(err); ok {
			u.kbEditor(w, r, rq, status, &kbEditPage{Article: cur, Form: f, Error: i18n.ErrorMessage(rq.locale, err)})
		} else {
			u.fail(w, r, rq, err)
		}
		return
	}
	u.log.Info("kb article saved", "shop", rq.shop.Code, "article", a.ID, "user", rq.sess.User.Username)
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/kb/"+strconv.FormatInt(a.ID, 10)+"?saved=1", http.StatusSeeOther)
}

// kbDelete deletes an article.
func (u *UI) kbDelete(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canWriteKB(rq.role) {
		u.fail(w, r, rq, errKBReadOnly)
		return
	}
	svc, a, err := u.kbArticleOf(r, rq)
	if err == nil {
		err = svc.DeleteArticle(r.Context(), rq.shop.ID, a.ID)
	}
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/kb?done=deleted", http.StatusSeeOther)
}

type kbCategoriesPage struct {
	Categories []kb.Category
	Counts     map[int64]int // articles per category
	CanWrite   bool
	Error      string
	Done       string
}

// kbCategories lists the categories, with forms to add, rename, reorder
// and delete them.
func (u *UI) kbCategories(w http.ResponseWriter, r *http.Request, rq *request) {
	u.kbCategoriesPage(w, r, rq, http.StatusOK, &kbCategoriesPage{Done: r.URL.Query().Get("done")})
}

func (u *UI) kbCategoriesPage(w http.ResponseWriter, r *http.Request, rq *request, status int, p *kbCategoriesPage) {
	svc, err := u.kbService()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if p.Categories, err = svc.Categories(r.Context(), rq.shop.ID); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	arts, err := svc.Articles(r.Context(), rq.shop.ID, kb.Filter{Limit: 5000})
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p.Counts = map[int64]int{}
	for _, a := range arts {
		p.Counts[a.CategoryID]++
	}
	p.CanWrite = canWriteKB(rq.role)
	u.render(w, r, rq, status, "kb_categories", "", u.view(r, rq, "kb", p))
}

// kbCategorySave adds a category, or with id and version renames and
// moves one.
func (u *UI) kbCategorySave(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canWriteKB(rq.role) {
		u.fail(w, r, rq, errKBReadOnly)
		return
	}
	svc, err := u.kbService()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	c := &kb.Category{Name: r.PostFormValue("name")}
	c.Position, _ = strconv.Atoi(r.PostFormValue("position"))
	c.ID, _ = strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	c.Version, _ = strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if c.ID == 0 {
		err = svc.CreateCategory(r.Context(), rq.shop.ID, c)
	} else {
		err = svc.UpdateCategory(r.Context(), rq.shop.ID, c)
	}
	if err != nil {
		if status, ok := formStatus(err); ok {
			u.kbCategoriesPage(w, r, rq, status, &kbCategoriesPage{Error: i18n.ErrorMessage(rq.locale, err)})
		} else {
			u.fail(w, r, rq, err)
		}
		return
	}
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/kb/categories?done=saved", http.StatusSeeOther)
}

// kbCategoryDelete deletes a category; its articles stay, uncategorised.
func (u *UI) kbCategoryDelete(w http.ResponseWriter, r *http.Request, rq *request) {
	if !canWriteKB(rq.role) {
		u.fail(w, r, rq, errKBReadOnly)
		return
	}
	svc, err := u.kbService()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		u.fail(w, r, rq, guanxi.Errorf(guanxi.ENOTFOUND, "no category %q", r.PathValue("id")))
		return
	}
	if err := svc.DeleteCategory(r.Context(), rq.shop.ID, id); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/s/"+rq.shop.Code+"/kb/categories?done=deleted", http.StatusSeeOther)
}

// kbSuggestion is one suggested article, as JSON.
type kbSuggestion struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Snippet  string `json:"snippet"`
	Language string `json:"language"`
	URL      string `json:"url"` // the public article, to send the customer
}

type kbSuggestPage struct {
	Query       string
	Suggestions []kbSuggestion
}

// kbSuggestLimit is how many articles a suggestion lists.
const kbSuggestLimit = 5

// kbSuggest lists up to five published articles matching ?q= (the reply an
// agent is typing, or the ticket's subject): an htmx fragment, or JSON
// when the request accepts application/json. An empty query lists none.
func (u *UI) kbSuggest(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, err := u.kbService()
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	q := r.URL.Query().Get("q")
	if len(q) > 4000 {
		q = q[:4000] // a long reply: its start says enough, and bounds the work
	}
	hits, err := svc.Search(r.Context(), rq.shop.ID, q, kb.Options{PublishedOnly: true, Limit: kbSuggestLimit})
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	p := &kbSuggestPage{Query: q, Suggestions: []kbSuggestion{}}
	for _, h := range hits {
		p.Suggestions = append(p.Suggestions, kbSuggestion{ID: h.ID, Title: h.Title, Snippet: h.Snippet, Language: h.Language,
			URL: "/kb/" + url.PathEscape(rq.shop.Code) + "/a/" + strconv.FormatInt(h.ID, 10)})
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		b, err := json.Marshal(map[string]any{"suggestions": p.Suggestions})
		if err != nil {
			u.fail(w, r, rq, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Vary", "Accept")
		_, _ = w.Write(b)
		return
	}
	u.render(w, r, rq, http.StatusOK, "kb_suggest", "suggest", u.view(r, rq, "kb", p))
}
