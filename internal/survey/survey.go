// Package survey is satisfaction measurement (issue 6 §3, seed 002 §2.3):
// CSAT (1-5) asked after a ticket closes, NPS (0-10) sent to a saved
// segment, and custom questionnaires; each invite is a signed public link
// sent through one of the shop's channels; each response lands on the
// customer's timeline, and a detractor opens a follow-up task in the same
// transaction. Results (NPS, CSAT) are read by month, by RFM segment and by
// agent, for the survey pages and the scorecard.
//
// It owns the tables surveys, survey_invites and survey_responses. It reads
// tickets (internal/service) and customer_scores (internal/score), writes
// timeline_events and opens tasks through internal/service. A Service is
// safe for concurrent use.
package survey

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/seal"
	"github.com/guanxi-crm/guanxi/internal/segment"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Kinds of survey.
const (
	CSAT   = "csat"   // 1-5 after a ticket closes
	NPS    = "nps"    // 0-10 to a segment
	Custom = "custom" // a questionnaire to a segment
)

// Kinds lists the kinds of survey.
var Kinds = []string{CSAT, NPS, Custom}

// States: a draft is edited, an active survey sends and takes answers, a
// closed one does neither.
const (
	Draft  = "draft"
	Active = "active"
	Closed = "closed"
)

// Question types of a custom questionnaire.
const (
	Single   = "single"   // one of the options
	Multiple = "multiple" // any of the options
	Rating   = "rating"   // 1..Scale
	Text     = "text"     // free text
)

// QuestionTypes lists the question types.
var QuestionTypes = []string{Single, Multiple, Rating, Text}

// Question is one question of a custom questionnaire.
type Question struct {
	ID       string   `json:"id"` // stable key of its answer: a-z, 0-9, _
	Type     string   `json:"type"`
	Text     string   `json:"text"`
	Options  []string `json:"options,omitempty"` // single, multiple
	Scale    int      `json:"scale,omitempty"`   // rating: 1..Scale (2-10, default 5)
	Required bool     `json:"required,omitempty"`
}

// Survey is one survey.
type Survey struct {
	ID          int64
	Kind        string
	Title       string
	Intro       string
	Questions   []Question
	Channel     string // email, sms, wechat, webhook; "" until chosen
	SegmentID   int64  // the audience of an NPS or custom survey
	Status      string
	ExpiresDays int // how long an invite's link is valid
	CreatedBy   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
}

// Service keeps surveys, sends their invites and records the responses.
type Service struct {
	db        *store.DB
	clock     guanxi.Clock
	segments  *segment.Service
	campaigns *campaign.Service // channel settings, contact policy, the shop's signing key
	tasks     *service.Service  // detractor follow-ups
}

// NewService returns the surveys of db; a nil clock is the wall clock.
func NewService(db *store.DB, clock guanxi.Clock, segments *segment.Service, campaigns *campaign.Service, tasks *service.Service) *Service {
	if clock == nil {
		clock = guanxi.SystemClock{}
	}
	return &Service{db: db, clock: clock, segments: segments, campaigns: campaigns, tasks: tasks}
}

func invalid(field, format string, args ...any) error {
	return guanxi.Errorf(guanxi.EINVALID, "%s: %s", field, fmt.Sprintf(format, args...))
}

var questionID = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// checkQuestions validates a questionnaire.
func checkQuestions(qs []Question) error {
	if len(qs) > 30 {
		return invalid("questions", "at most 30")
	}
	seen := map[string]bool{}
	for i := range qs {
		q := &qs[i]
		q.Text = strings.TrimSpace(q.Text)
		field := fmt.Sprintf("questions[%d]", i)
		switch {
		case !questionID.MatchString(q.ID):
			return invalid(field+".id", "%q: expected a lower-case letter then letters, digits or _ (at most 32)", q.ID)
		case seen[q.ID]:
			return invalid(field+".id", "%q used twice", q.ID)
		case !slices.Contains(QuestionTypes, q.Type):
			return invalid(field+".type", "%q: expected one of %s", q.Type, strings.Join(QuestionTypes, ", "))
		case q.Text == "":
			return invalid(field+".text", "required")
		case utf8.RuneCountInString(q.Text) > 500:
			return invalid(field+".text", "longer than 500 characters")
		}
		seen[q.ID] = true
		switch q.Type {
		case Single, Multiple:
			if len(q.Options) < 2 || len(q.Options) > 20 {
				return invalid(field+".options", "between 2 and 20 options")
			}
			opts := map[string]bool{}
			for j, o := range q.Options {
				o = strings.TrimSpace(o)
				if o == "" || utf8.RuneCountInString(o) > 200 || opts[o] {
					return invalid(field+".options", "option %d is empty, too long or repeated", j+1)
				}
				q.Options[j], opts[o] = o, true
			}
			q.Scale = 0
		case Rating:
			if q.Scale == 0 {
				q.Scale = 5
			}
			if q.Scale < 2 || q.Scale > 10 {
				return invalid(field+".scale", "between 2 and 10")
			}
			q.Options = nil
		case Text:
			q.Options, q.Scale = nil, 0
		}
	}
	return nil
}

func check(s *Survey) error {
	s.Title, s.Intro = strings.TrimSpace(s.Title), strings.TrimSpace(s.Intro)
	if s.ExpiresDays == 0 {
		s.ExpiresDays = 14
	}
	switch {
	case !slices.Contains(Kinds, s.Kind):
		return invalid("kind", "%q: expected one of %s", s.Kind, strings.Join(Kinds, ", "))
	case s.Title == "":
		return invalid("title", "required")
	case utf8.RuneCountInString(s.Title) > 200:
		return invalid("title", "longer than 200 characters")
	case utf8.RuneCountInString(s.Intro) > 2000:
		return invalid("intro", "longer than 2000 characters")
	case s.Channel != "" && !slices.Contains(campaign.Channels, s.Channel):
		return invalid("channel", "%q: expected one of %s", s.Channel, strings.Join(campaign.Channels, ", "))
	case s.ExpiresDays < 1 || s.ExpiresDays > 90:
		return invalid("expires_days", "between 1 and 90")
	case s.Kind == CSAT && s.SegmentID != 0:
		return invalid("segment_id", "a CSAT survey goes to the customers of closed tickets, not to a segment")
	case s.Kind == Custom && len(s.Questions) == 0:
		return invalid("questions", "a custom questionnaire needs at least one question")
	}
	if s.Questions == nil {
		s.Questions = []Question{}
	}
	return checkQuestions(s.Questions)
}

// checkSegment fails unless the saved segment exists.
func (s *Service) checkSegment(ctx context.Context, shopID, id int64) error {
	if id == 0 {
		return nil
	}
	if _, err := s.segments.Get(ctx, shopID, id); err != nil {
		if guanxi.ErrorCode(err) == guanxi.ENOTFOUND {
			return invalid("segment_id", "segment %d not found", id)
		}
		return err
	}
	return nil
}

// Create saves a new draft and sets its ID and version.
func (s *Service) Create(ctx context.Context, shopID int64, sv *Survey) error {
	if err := check(sv); err != nil {
		return err
	}
	if err := s.checkSegment(ctx, shopID, sv.SegmentID); err != nil {
		return err
	}
	qs, err := json.Marshal(sv.Questions)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	a := audit.ActorFrom(ctx)
	return s.db.Update(ctx, func(tx *store.Tx) error {
		id, err := tx.NextIDs(ctx, shopID, "surveys", 1)
		if err != nil {
			return fmt.Errorf("survey: create in shop %d: %w", shopID, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO surveys (shop_id, id, kind, title, intro, questions, channel, segment_id, status, expires_days,
created_by, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, 1)`,
			shopID, id, sv.Kind, sv.Title, sv.Intro, string(qs), sv.Channel, store.NullInt(sv.SegmentID), sv.ExpiresDays,
			store.NullInt(a.UserID), now.Unix(), now.Unix()); err != nil {
			return fmt.Errorf("survey: create in shop %d: %w", shopID, store.MapError(err))
		}
		sv.ID, sv.Status, sv.Version, sv.CreatedBy = id, Draft, 1, a.UserID
		sv.CreatedAt, sv.UpdatedAt = time.Unix(now.Unix(), 0), time.Unix(now.Unix(), 0)
		return audit.Write(ctx, tx, shopID, "survey.create", "survey", id, map[string]any{"kind": sv.Kind, "title": sv.Title}, now)
	})
}

// Update saves an edit made at sv.Version. The kind and questions are
// fixed once the survey leaves draft (answers already given must keep
// meaning what they meant); title, intro, channel, segment and expiry may
// change until it closes.
func (s *Service) Update(ctx context.Context, shopID int64, sv *Survey) error {
	if err := check(sv); err != nil {
		return err
	}
	if err := s.checkSegment(ctx, shopID, sv.SegmentID); err != nil {
		return err
	}
	now := s.clock.Now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		old, err := get(ctx, tx, shopID, sv.ID)
		if err != nil {
			return err
		}
		if old.Version != sv.Version {
			return guanxi.Errorf(guanxi.ECONFLICT, "survey %d was changed by someone else (version %d, yours %d): reload it", sv.ID, old.Version, sv.Version)
		}
		if old.Status == Closed {
			return invalid("status", "survey %d is closed", sv.ID)
		}
		if old.Status != Draft {
			if sv.Kind != old.Kind {
				return invalid("kind", "cannot change once the survey is active")
			}
			a, _ := json.Marshal(sv.Questions)
			b, _ := json.Marshal(old.Questions)
			if string(a) != string(b) {
				return invalid("questions", "cannot change once the survey is active")
			}
		}
		qs, err := json.Marshal(sv.Questions)
		if err != nil {
			return err
		}
		sv.Version = old.Version + 1
		if _, err := tx.Exec(ctx, `UPDATE surveys SET kind = ?, title = ?, intro = ?, questions = ?, channel = ?, segment_id = ?, expires_days = ?,
updated_at = ?, version = ? WHERE shop_id = ? AND id = ?`, sv.Kind, sv.Title, sv.Intro, string(qs), sv.Channel, store.NullInt(sv.SegmentID),
			sv.ExpiresDays, now.Unix(), sv.Version, shopID, sv.ID); err != nil {
			return fmt.Errorf("survey: update %d: %w", sv.ID, err)
		}
		sv.Status, sv.CreatedBy, sv.CreatedAt, sv.UpdatedAt = old.Status, old.CreatedBy, old.CreatedAt, time.Unix(now.Unix(), 0)
		return audit.Write(ctx, tx, shopID, "survey.update", "survey", sv.ID, map[string]any{"title": sv.Title}, now)
	})
}

// SetStatus moves a survey draft → active → closed. Activating needs a
// channel, and for NPS and custom surveys a segment.
func (s *Service) SetStatus(ctx context.Context, shopID, id, version int64, status string) (*Survey, error) {
	var sv *Survey
	now := s.clock.Now()
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if sv, err = get(ctx, tx, shopID, id); err != nil {
			return err
		}
		if sv.Version != version {
			return guanxi.Errorf(guanxi.ECONFLICT, "survey %d was changed by someone else (version %d, yours %d): reload it", id, sv.Version, version)
		}
		switch {
		case status == Active && sv.Status == Draft:
			if sv.Channel == "" {
				return invalid("channel", "choose a channel before activating")
			}
			if sv.Kind != CSAT && sv.SegmentID == 0 {
				return invalid("segment_id", "choose a segment before activating")
			}
		case status == Closed && sv.Status == Active:
		default:
			return invalid("status", "survey %d cannot go from %s to %q", id, sv.Status, status)
		}
		from := sv.Status
		sv.Status, sv.Version, sv.UpdatedAt = status, sv.Version+1, time.Unix(now.Unix(), 0)
		if _, err := tx.Exec(ctx, `UPDATE surveys SET status = ?, version = ?, updated_at = ? WHERE shop_id = ? AND id = ?`,
			status, sv.Version, now.Unix(), shopID, id); err != nil {
			return fmt.Errorf("survey: status of %d: %w", id, err)
		}
		return audit.Write(ctx, tx, shopID, "survey."+status, "survey", id, map[string]any{"from": from}, now)
	})
	if err != nil {
		return nil, err
	}
	return sv, nil
}

// Get returns a survey, or ENOTFOUND.
func (s *Service) Get(ctx context.Context, shopID, id int64) (*Survey, error) {
	return get(ctx, s.db, shopID, id)
}

// List returns the shop's surveys, newest first.
func (s *Service) List(ctx context.Context, shopID int64) ([]Survey, error) {
	return list(ctx, s.db, shopID, `WHERE shop_id = ? ORDER BY id DESC`, shopID)
}

type querier interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	Keys() *seal.Keys
}

func get(ctx context.Context, q querier, shopID, id int64) (*Survey, error) {
	ss, err := list(ctx, q, shopID, `WHERE shop_id = ? AND id = ?`, shopID, id)
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, guanxi.Errorf(guanxi.ENOTFOUND, "survey %d not found", id)
	}
	return &ss[0], nil
}

func list(ctx context.Context, q querier, shopID int64, where string, args ...any) ([]Survey, error) {
	rows, err := q.Query(ctx, `SELECT id, kind, title, intro, questions, channel, segment_id, status, expires_days, created_by,
created_at, updated_at, version FROM surveys `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("survey: surveys of shop %d: %w", shopID, err)
	}
	defer rows.Close()
	var out []Survey
	for rows.Next() {
		var sv Survey
		var qs string
		var seg, by sql.NullInt64
		var created, updated int64
		if err := rows.Scan(&sv.ID, &sv.Kind, &sv.Title, &sv.Intro, &qs, &sv.Channel, &seg, &sv.Status, &sv.ExpiresDays, &by,
			&created, &updated, &sv.Version); err != nil {
			return nil, fmt.Errorf("survey: surveys of shop %d: %w", shopID, err)
		}
		if err := json.Unmarshal([]byte(qs), &sv.Questions); err != nil {
			return nil, fmt.Errorf("survey: questions of survey %d: %w", sv.ID, err)
		}
		sv.SegmentID, sv.CreatedBy = seg.Int64, by.Int64
		sv.CreatedAt, sv.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
		out = append(out, sv)
	}
	return out, rows.Err()
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
