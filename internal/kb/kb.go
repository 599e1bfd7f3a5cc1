// Package kb is the self-service knowledge base (issue 6 §4, seed 002 §4):
// FAQ articles in categories, in Chinese or English, published on a public
// page per shop, searched in both languages (search.go), rated "was this
// helpful" once per browser, and suggested to agents while they type a
// reply. Article bodies are plain text with paragraphs and links only,
// rendered escaped (render.go).
//
// It owns the tables kb_categories, kb_articles and kb_votes. Changes take
// the version the caller read and fail with ECONFLICT when the record moved
// on since; every change is audited. A Service is safe for concurrent use.
package kb

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Languages an article is written in: Chinese first, as the shops are.
const (
	Chinese = "zh"
	English = "en"
)

// Languages lists the article languages.
var Languages = []string{Chinese, English}

// Category groups articles on the public page.
type Category struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Position  int       `json:"position"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"version"`
}

// Article is one FAQ entry.
type Article struct {
	ID         int64     `json:"id"`
	CategoryID int64     `json:"category_id"` // 0: none
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	Language   string    `json:"language"`
	Published  bool      `json:"published"`
	Helpful    int64     `json:"helpful"`
	Unhelpful  int64     `json:"unhelpful"`
	Views      int64     `json:"views"`
	CreatedBy  int64     `json:"created_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Version    int64     `json:"version"`
}

// Votes is the number of helpful and unhelpful votes.
func (a *Article) Votes() int64 { return a.Helpful + a.Unhelpful }

// HelpfulShare is the share of votes that said helpful, and false when
// nobody voted.
func (a *Article) HelpfulShare() (float64, bool) {
	if a.Votes() == 0 {
		return 0, false
	}
	return float64(a.Helpful) / float64(a.Votes()), true
}

// Limits on what is stored.
const (
	MaxTitle        = 200
	MaxBody         = 50000
	MaxCategoryName = 100
)

// Service is the knowledge base of a database.
type Service struct {
	db    *store.DB
	clock guanxi.Clock

	mu    sync.Mutex
	index map[int64]*index // by shop: see search.go
}

// NewService returns the knowledge base of db; a nil clock is the wall clock.
func NewService(db *store.DB, clock guanxi.Clock) *Service {
	if clock == nil {
		clock = guanxi.SystemClock{}
	}
	return &Service{db: db, clock: clock, index: map[int64]*index{}}
}

// now is the clock's time to the second, as the tables keep it.
func (s *Service) now() time.Time { return time.Unix(s.clock.Now().Unix(), 0) }

func invalid(field, format string, args ...any) error {
	return guanxi.Errorf(guanxi.EINVALID, field+": "+format, args...)
}

func conflict(what string, id, have, yours int64) error {
	return guanxi.Errorf(guanxi.ECONFLICT, "%s %d was changed by someone else (version %d, yours %d): reload it", what, id, have, yours)
}

// querier is what reads need: the database or a transaction.
type querier interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// ---- categories

func checkCategory(c *Category) error {
	c.Name = strings.TrimSpace(c.Name)
	switch {
	case c.Name == "":
		return invalid("name", "required")
	case utf8.RuneCountInString(c.Name) > MaxCategoryName:
		return invalid("name", "longer than %d characters", MaxCategoryName)
	case c.Position < 0 || c.Position > 1_000_000:
		return invalid("position", "%d: expected 0 to 1000000", c.Position)
	}
	return nil
}

// CreateCategory adds a category and sets its ID and version. A name the
// shop already uses is ECONFLICT.
func (s *Service) CreateCategory(ctx context.Context, shopID int64, c *Category) error {
	if err := checkCategory(c); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		id, err := tx.NextIDs(ctx, shopID, "kb_categories", 1)
		if err != nil {
			return fmt.Errorf("kb: create category in shop %d: %w", shopID, err)
		}
		now := s.now()
		c.ID, c.CreatedAt, c.UpdatedAt, c.Version = id, now, now, 1
		if _, err := tx.Exec(ctx, `INSERT INTO kb_categories (shop_id, id, name, position, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			shopID, id, c.Name, c.Position, now.Unix(), now.Unix(), c.Version); err != nil {
			return fmt.Errorf("kb: create category %q: %w", c.Name, store.MapError(err))
		}
		return audit.Write(ctx, tx, shopID, "kb.category.create", "kb_category", id, map[string]any{"name": c.Name}, now)
	})
}

// UpdateCategory renames or moves a category; c.Version is the version the
// caller read, and c comes back with the new one.
func (s *Service) UpdateCategory(ctx context.Context, shopID int64, c *Category) error {
	if err := checkCategory(c); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		cur, err := getCategory(ctx, tx, shopID, c.ID)
		if err != nil {
			return err
		}
		if cur.Version != c.Version {
			return conflict("category", c.ID, cur.Version, c.Version)
		}
		now := s.now()
		c.CreatedAt, c.UpdatedAt, c.Version = cur.CreatedAt, now, cur.Version+1
		if _, err := tx.Exec(ctx, `UPDATE kb_categories SET name = ?, position = ?, updated_at = ?, version = ? WHERE shop_id = ? AND id = ?`,
			c.Name, c.Position, now.Unix(), c.Version, shopID, c.ID); err != nil {
			return fmt.Errorf("kb: update category %d: %w", c.ID, store.MapError(err))
		}
		return audit.Write(ctx, tx, shopID, "kb.category.update", "kb_category", c.ID, map[string]any{"name": c.Name, "position": c.Position}, now)
	})
}

// DeleteCategory deletes a category; its articles stay, in no category.
func (s *Service) DeleteCategory(ctx context.Context, shopID, id int64) error {
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		c, err := getCategory(ctx, tx, shopID, id)
		if err != nil {
			return err
		}
		now := s.now()
		// Bumping the moved articles' versions keeps an editor open on one
		// of them from writing the old category back.
		if _, err := tx.Exec(ctx, `UPDATE kb_articles SET category_id = NULL, updated_at = ?, version = version + 1 WHERE shop_id = ? AND category_id = ?`,
			now.Unix(), shopID, id); err != nil {
			return fmt.Errorf("kb: delete category %d: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM kb_categories WHERE shop_id = ? AND id = ?`, shopID, id); err != nil {
			return fmt.Errorf("kb: delete category %d: %w", id, err)
		}
		if err := changed(ctx, tx, shopID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, shopID, "kb.category.delete", "kb_category", id, map[string]any{"name": c.Name}, now)
	})
	if err == nil {
		s.invalidate(shopID)
	}
	return err
}

// Category returns a category, or ENOTFOUND.
func (s *Service) Category(ctx context.Context, shopID, id int64) (*Category, error) {
	return getCategory(ctx, s.db, shopID, id)
}

// Categories lists a shop's categories in their order.
func (s *Service) Categories(ctx context.Context, shopID int64) ([]Category, error) {
	return categoryList(ctx, s.db, shopID, `WHERE shop_id = ? ORDER BY position, id`, shopID)
}

func getCategory(ctx context.Context, q querier, shopID, id int64) (*Category, error) {
	cs, err := categoryList(ctx, q, shopID, `WHERE shop_id = ? AND id = ?`, shopID, id)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "category %d not found", id)
	}
	return &cs[0], nil
}

func categoryList(ctx context.Context, q querier, shopID int64, where string, args ...any) ([]Category, error) {
	rows, err := q.Query(ctx, `SELECT id, name, position, created_at, updated_at, version FROM kb_categories `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("kb: categories of shop %d: %w", shopID, err)
	}
	defer rows.Close()
	var out []Category
	for rows.Next() {
		var c Category
		var created, updated int64
		if err := rows.Scan(&c.ID, &c.Name, &c.Position, &created, &updated, &c.Version); err != nil {
			return nil, fmt.Errorf("kb: categories of shop %d: %w", shopID, err)
		}
		c.CreatedAt, c.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("kb: categories of shop %d: %w", shopID, err)
	}
	return out, nil
}

// ---- articles

func checkArticle(ctx context.Context, q querier, shopID int64, a *Article) error {
	a.Title = strings.TrimSpace(a.Title)
	a.Body = strings.TrimSpace(strings.ReplaceAll(a.Body, "\r\n", "\n"))
	switch {
	case a.Title == "":
		return invalid("title", "required")
	case utf8.RuneCountInString(a.Title) > MaxTitle:
		return invalid("title", "longer than %d characters", MaxTitle)
	case utf8.RuneCountInString(a.Body) > MaxBody:
		return invalid("body", "longer than %d characters", MaxBody)
	case !utf8.ValidString(a.Title) || !utf8.ValidString(a.Body):
		return invalid("body", "not valid UTF-8")
	case !slices.Contains(Languages, a.Language):
		return invalid("language", "%q: expected zh or en", a.Language)
	}
	if a.CategoryID != 0 {
		if _, err := getCategory(ctx, q, shopID, a.CategoryID); err != nil {
			if guanxi.ErrorCode(err) == guanxi.ENOTFOUND {
				return invalid("category_id", "category %d not found", a.CategoryID)
			}
			return err
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateArticle adds an article and sets its ID, counts and version.
func (s *Service) CreateArticle(ctx context.Context, shopID int64, a *Article) error {
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if err := checkArticle(ctx, tx, shopID, a); err != nil {
			return err
		}
		id, err := tx.NextIDs(ctx, shopID, "kb_articles", 1)
		if err != nil {
			return fmt.Errorf("kb: create article in shop %d: %w", shopID, err)
		}
		now := s.now()
		actor := audit.ActorFrom(ctx)
		a.ID, a.Helpful, a.Unhelpful, a.Views, a.Version = id, 0, 0, 0, 1
		a.CreatedBy, a.CreatedAt, a.UpdatedAt = actor.UserID, now, now
		if _, err := tx.Exec(ctx, `INSERT INTO kb_articles (shop_id, id, category_id, title, body, language, published, created_by, created_at, updated_at, version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, shopID, id, store.NullInt(a.CategoryID), a.Title, a.Body, a.Language, boolInt(a.Published),
			store.NullInt(a.CreatedBy), now.Unix(), now.Unix(), a.Version); err != nil {
			return fmt.Errorf("kb: create article in shop %d: %w", shopID, store.MapError(err))
		}
		if err := changed(ctx, tx, shopID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, shopID, "kb.article.create", "kb_article", id,
			map[string]any{"title": a.Title, "language": a.Language, "published": a.Published}, now)
	})
	if err == nil {
		s.invalidate(shopID)
	}
	return err
}

// UpdateArticle writes an article's title, body, category, language and
// published flag; a.Version is the version the caller read, and a comes
// back as stored, with the new version.
func (s *Service) UpdateArticle(ctx context.Context, shopID int64, a *Article) error {
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		cur, err := getArticle(ctx, tx, shopID, a.ID)
		if err != nil {
			return err
		}
		if err := checkArticle(ctx, tx, shopID, a); err != nil {
			return err
		}
		if cur.Version != a.Version {
			return conflict("article", a.ID, cur.Version, a.Version)
		}
		now := s.now()
		a.Helpful, a.Unhelpful, a.Views, a.CreatedBy, a.CreatedAt = cur.Helpful, cur.Unhelpful, cur.Views, cur.CreatedBy, cur.CreatedAt
		a.UpdatedAt, a.Version = now, cur.Version+1
		if _, err := tx.Exec(ctx, `UPDATE kb_articles SET category_id = ?, title = ?, body = ?, language = ?, published = ?, updated_at = ?, version = ?
WHERE shop_id = ? AND id = ?`, store.NullInt(a.CategoryID), a.Title, a.Body, a.Language, boolInt(a.Published), now.Unix(), a.Version, shopID, a.ID); err != nil {
			return fmt.Errorf("kb: update article %d: %w", a.ID, err)
		}
		if err := changed(ctx, tx, shopID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, shopID, "kb.article.update", "kb_article", a.ID,
			map[string]any{"title": a.Title, "language": a.Language, "published": a.Published}, now)
	})
	if err == nil {
		s.invalidate(shopID)
	}
	return err
}

// DeleteArticle deletes an article and its votes.
func (s *Service) DeleteArticle(ctx context.Context, shopID, id int64) error {
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		a, err := getArticle(ctx, tx, shopID, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM kb_votes WHERE shop_id = ? AND article_id = ?`, shopID, id); err != nil {
			return fmt.Errorf("kb: delete article %d: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM kb_articles WHERE shop_id = ? AND id = ?`, shopID, id); err != nil {
			return fmt.Errorf("kb: delete article %d: %w", id, err)
		}
		if err := changed(ctx, tx, shopID); err != nil {
			return err
		}
		return audit.Write(ctx, tx, shopID, "kb.article.delete", "kb_article", id, map[string]any{"title": a.Title}, s.now())
	})
	if err == nil {
		s.invalidate(shopID)
	}
	return err
}

// Article returns an article, published or not, or ENOTFOUND.
func (s *Service) Article(ctx context.Context, shopID, id int64) (*Article, error) {
	return getArticle(ctx, s.db, shopID, id)
}

// PublishedArticle returns a published article, or ENOTFOUND for one that
// is not (the public page does not tell a draft from a missing article).
func (s *Service) PublishedArticle(ctx context.Context, shopID, id int64) (*Article, error) {
	as, err := articleList(ctx, s.db, shopID, `WHERE shop_id = ? AND id = ? AND published = 1`, shopID, id)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "article %d not found", id)
	}
	return &as[0], nil
}

// Filter selects articles; zero fields select all.
type Filter struct {
	CategoryID    int64
	Language      string
	PublishedOnly bool
	// Popular orders by views, most first; otherwise newest change first.
	Popular bool
	Limit   int // default 500
}

// Articles lists a shop's articles.
func (s *Service) Articles(ctx context.Context, shopID int64, f Filter) ([]Article, error) {
	where := []string{"shop_id = ?"}
	args := []any{shopID}
	if f.CategoryID != 0 {
		where, args = append(where, "category_id = ?"), append(args, f.CategoryID)
	}
	if f.Language != "" {
		where, args = append(where, "language = ?"), append(args, f.Language)
	}
	if f.PublishedOnly {
		where = append(where, "published = 1")
	}
	order := "updated_at DESC, id DESC"
	if f.Popular {
		order = "views DESC, helpful DESC, id"
	}
	limit := f.Limit
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	return articleList(ctx, s.db, shopID, `WHERE `+strings.Join(where, " AND ")+` ORDER BY `+order+fmt.Sprintf(` LIMIT %d`, limit), args...)
}

// Viewed counts one view of a published article.
func (s *Service) Viewed(ctx context.Context, shopID, id int64) error {
	if _, err := s.db.Exec(ctx, `UPDATE kb_articles SET views = views + 1 WHERE shop_id = ? AND id = ? AND published = 1`, shopID, id); err != nil {
		return fmt.Errorf("kb: count a view of article %d: %w", id, err)
	}
	return nil
}

// Vote records a visitor's "was this helpful" on a published article.
// voter identifies the browser (a random cookie's value, stored hashed by
// the caller or not: it is only compared); a second vote by the same voter
// counts nothing and returns false. Votes change no version, so an editor
// open on the article is not disturbed by visitors.
func (s *Service) Vote(ctx context.Context, shopID, id int64, voter string, helpful bool) (bool, error) {
	if voter == "" || len(voter) > 128 {
		return false, invalid("voter", "required, at most 128 bytes")
	}
	var counted bool
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM kb_articles WHERE shop_id = ? AND id = ? AND published = 1`, shopID, id).Scan(&n); err != nil {
			return fmt.Errorf("kb: vote on article %d: %w", id, err)
		}
		if n == 0 {
			return guanxi.Errorf(guanxi.ENOTFOUND, "article %d not found", id)
		}
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM kb_votes WHERE shop_id = ? AND article_id = ? AND voter = ?`, shopID, id, voter).Scan(&n); err != nil {
			return fmt.Errorf("kb: vote on article %d: %w", id, err)
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO kb_votes (shop_id, article_id, voter, helpful, created_at) VALUES (?, ?, ?, ?, ?)`,
			shopID, id, voter, boolInt(helpful), s.now().Unix()); err != nil {
			return fmt.Errorf("kb: vote on article %d: %w", id, store.MapError(err))
		}
		col := "unhelpful"
		if helpful {
			col = "helpful"
		}
		if _, err := tx.Exec(ctx, `UPDATE kb_articles SET `+col+` = `+col+` + 1 WHERE shop_id = ? AND id = ?`, shopID, id); err != nil {
			return fmt.Errorf("kb: vote on article %d: %w", id, err)
		}
		counted = true
		return nil
	})
	if guanxi.ErrorCode(err) == guanxi.ECONFLICT {
		// Two requests of one browser at once: the other counted it.
		return false, nil
	}
	return counted, err
}

const articleCols = `id, category_id, title, body, language, published, helpful, unhelpful, views, created_by, created_at, updated_at, version`

func getArticle(ctx context.Context, q querier, shopID, id int64) (*Article, error) {
	as, err := articleList(ctx, q, shopID, `WHERE shop_id = ? AND id = ?`, shopID, id)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "article %d not found", id)
	}
	return &as[0], nil
}

func articleList(ctx context.Context, q querier, shopID int64, where string, args ...any) ([]Article, error) {
	rows, err := q.Query(ctx, `SELECT `+articleCols+` FROM kb_articles `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("kb: articles of shop %d: %w", shopID, err)
	}
	defer rows.Close()
	var out []Article
	for rows.Next() {
		var a Article
		var cat, by sql.NullInt64
		var published int
		var created, updated int64
		if err := rows.Scan(&a.ID, &cat, &a.Title, &a.Body, &a.Language, &published, &a.Helpful, &a.Unhelpful, &a.Views, &by,
			&created, &updated, &a.Version); err != nil {
			return nil, fmt.Errorf("kb: articles of shop %d: %w", shopID, err)
		}
		a.CategoryID, a.CreatedBy, a.Published = cat.Int64, by.Int64, published != 0
		a.CreatedAt, a.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("kb: articles of shop %d: %w", shopID, err)
	}
	return out, nil
}

// Voted reports whether voter has voted on the article.
func (s *Service) Voted(ctx context.Context, shopID, id int64, voter string) (bool, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM kb_votes WHERE shop_id = ? AND article_id = ? AND voter = ?`, shopID, id, voter).Scan(&n); err != nil {
		return false, fmt.Errorf("kb: votes on article %d: %w", id, err)
	}
	return n > 0, nil
}
