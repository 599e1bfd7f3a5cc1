package ui

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/i18n"
	"github.com/guanxi-crm/guanxi/internal/kb"
	"github.com/guanxi-crm/guanxi/internal/shop"
)

// The knowledge base's pages (issue 6 §4): the public help centre of each
// shop at /kb/{shopcode}, open to anyone, and the staff pages under
// /s/{shop}/kb (kb_staff.go).

// kbPages are the knowledge base's templates, added to pageNames here so
// the list in ui.go stays as it was.
var kbPages = []string{"kb_public", "kb_article", "kb_list", "kb_edit", "kb_categories", "kb_suggest"}

func init() { pageNames = append(pageNames, kbPages...) }

// kbVoterCookie holds a visitor's random id: one vote per article per
// browser. It is not signed: the server keeps the votes (kb_votes, under
// the id's hash), so a forged or replayed id can only vote as a browser
// that has not voted yet, as clearing cookies can. No CSRF token is
// possible for anonymous visitors; the POST is refused cross-origin by
// secure's origin check, like the other public forms.
const kbVoterCookie = "guanxi_kb_voter"

// kbService returns the knowledge base, or ENOTFOUND when the server runs
// without one.
func (u *UI) kbService() (*kb.Service, error) {
	if u.cfg.KB == nil {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "the knowledge base is not available")
	}
	return u.cfg.KB, nil
}

// kbLanguage is the article language a visitor reads first: English when
// their locale (Accept-Language, or a signed-in user's setting) is, else
// Chinese; ?lang= overrides.
func kbLanguage(r *http.Request, rq *request) string {
	if l := r.URL.Query().Get("lang"); slices.Contains(kb.Languages, l) {
		return l
	}
	if rq.locale == i18n.En {
		return kb.English
	}
	return kb.Chinese
}

// kbShop reads the public page's shop, or answers 404.
func (u *UI) kbShop(w http.ResponseWriter, r *http.Request, rq *request) (*kb.Service, *shop.Shop, bool) {
	svc, err := u.kbService()
	if err != nil {
		u.fail(w, r, rq, err)
		return nil, nil, false
	}
	sh, err := u.cfg.Shops.ByCode(r.Context(), r.PathValue("shopcode"))
	if err != nil {
		u.fail(w, r, rq, err)
		return nil, nil, false
	}
	return svc, sh, true
}

// kbGroup is a category and its articles on the public page.
type kbGroup struct {
	Category kb.Category
	Articles []kb.Article
	More     bool // more articles than shown: link to the category
}

type kbPublicPage struct {
	ShopName string
	Code     string
	Lang     string
	Query    string
	Category int64 // the category shown alone, 0 for all
	Groups   []kbGroup
	Popular  []kb.Article
	Hits     []kb.Hit
	Searched bool
}

// kbPerCategory is how many articles each category shows on the home page.
const kbPerCategory = 8

// kbHome is a shop's public help centre: a search box, the popular
// articles and the categories with their articles, in the visitor's
// language first; or the search's results.
func (u *UI) kbHome(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, sh, ok := u.kbShop(w, r, rq)
	if !ok {
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	p := &kbPublicPage{ShopName: sh.Name, Code: sh.Code, Lang: kbLanguage(r, rq), Query: strings.TrimSpace(q.Get("q"))}
	p.Category, _ = strconv.ParseInt(q.Get("c"), 10, 64)
	if p.Query != "" {
		p.Searched = true
		hits, err := svc.Search(ctx, sh.ID, p.Query, kb.Options{PublishedOnly: true, Prefer: p.Lang, Limit: 30})
		if err != nil {
			u.fail(w, r, rq, err)
			return
		}
		p.Hits = hits
		u.render(w, r, rq, http.StatusOK, "kb_public", "", u.view(r, rq, "", p))
		return
	}
	lang := p.Lang
	arts, err := svc.Articles(ctx, sh.ID, kb.Filter{PublishedOnly: true, Language: lang, Popular: true, Limit: 5000})
	if err == nil && len(arts) == 0 {
		// Nothing in the visitor's language: show what there is.
		lang = ""
		arts, err = svc.Articles(ctx, sh.ID, kb.Filter{PublishedOnly: true, Popular: true, Limit: 5000})
	}
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	cats, err := svc.Categories(ctx, sh.ID)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	for _, a := range arts {
		if a.Views > 0 && len(p.Popular) < 5 && p.Category == 0 {
			p.Popular = append(p.Popular, a)
		}
	}
	groups := make([]kbGroup, 0, len(cats)+1)
	at := map[int64]int{}
	for _, c := range cats {
		if p.Category != 0 && c.ID != p.Category {
			continue
		}
		at[c.ID] = len(groups)
		groups = append(groups, kbGroup{Category: c})
	}
	if p.Category == 0 {
		at[0] = len(groups)
		groups = append(groups, kbGroup{Category: kb.Category{Name: i18n.T(rq.locale, "kb.uncategorised")}})
	}
	for _, a := range arts {
		i, ok := at[a.CategoryID]
		if !ok {
			continue
		}
		g := &groups[i]
		if p.Category == 0 && len(g.Articles) == kbPerCategory {
			g.More = true
			continue
		}
		g.Articles = append(g.Articles, a)
	}
	for _, g := range groups {
		if len(g.Articles) > 0 {
			p.Groups = append(p.Groups, g)
		}
	}
	u.render(w, r, rq, http.StatusOK, "kb_public", "", u.view(r, rq, "", p))
}

type kbArticlePage struct {
	ShopName string
	Code     string
	Article  *kb.Article
	Category string
	Body     template.HTML
	Voted    bool
	Thanks   bool
}

// kbArticle is one published article; a draft or another shop's article
// is not found.
func (u *UI) kbArticle(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, sh, ok := u.kbShop(w, r, rq)
	if !ok {
		return
	}
	ctx := r.Context()
	a, err := u.kbPublished(r, svc, sh)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if err := svc.Viewed(ctx, sh.ID, a.ID); err != nil {
		u.fail(w, r, rq, err)
		return
	}
	a.Views++
	p := &kbArticlePage{ShopName: sh.Name, Code: sh.Code, Article: a, Body: kb.Render(a.Body), Thanks: r.URL.Query().Get("voted") == "1"}
	if a.CategoryID != 0 {
		if c, err := svc.Category(ctx, sh.ID, a.CategoryID); err == nil {
			p.Category = c.Name
		}
	}
	if c, err := r.Cookie(kbVoterCookie); err == nil && c.Value != "" {
		if p.Voted, err = svc.Voted(ctx, sh.ID, a.ID, kbVoter(c.Value)); err != nil {
			u.fail(w, r, rq, err)
			return
		}
	}
	u.render(w, r, rq, http.StatusOK, "kb_article", "", u.view(r, rq, "", p))
}

func (u *UI) kbPublished(r *http.Request, svc *kb.Service, sh *shop.Shop) (*kb.Article, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "no article %q", r.PathValue("id"))
	}
	return svc.PublishedArticle(r.Context(), sh.ID, id)
}

// kbVoter is what kb_votes keeps of a visitor's cookie: its hash, so the
// table holds nothing a browser could present.
func kbVoter(cookie string) string {
	sum := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(sum[:16])
}

// kbVote records "was this helpful" (helpful=yes or no) once per browser,
// giving the browser its voter cookie on its first vote. htmx gets the
// thanks as a fragment; a plain form goes back to the article.
func (u *UI) kbVote(w http.ResponseWriter, r *http.Request, rq *request) {
	svc, sh, ok := u.kbShop(w, r, rq)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	a, err := u.kbPublished(r, svc, sh)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	var helpful bool
	switch r.PostFormValue("helpful") {
	case "yes":
		helpful = true
	case "no":
	default:
		u.fail(w, r, rq, guanxi.Errorf(guanxi.EINVALID, "helpful: expected yes or no"))
		return
	}
	token := ""
	if c, err := r.Cookie(kbVoterCookie); err == nil && len(c.Value) == 32 {
		token = c.Value
	} else {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		token = hex.EncodeToString(b)
		http.SetCookie(w, &http.Cookie{Name: kbVoterCookie, Value: token, Path: "/kb/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: u.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	}
	counted, err := svc.Vote(r.Context(), sh.ID, a.ID, kbVoter(token), helpful)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	u.log.Info("kb vote", "shop", sh.Code, "article", a.ID, "helpful", helpful, "counted", counted)
	if r.Header.Get("HX-Request") == "true" {
		p := &kbArticlePage{ShopName: sh.Name, Code: sh.Code, Article: a, Voted: true, Thanks: true}
		u.render(w, r, rq, http.StatusOK, "kb_article", "vote", u.view(r, rq, "", p))
		return
	}
	http.Redirect(w, r, "/kb/"+sh.Code+"/a/"+strconv.FormatInt(a.ID, 10)+"?voted=1", http.StatusSeeOther)
}
