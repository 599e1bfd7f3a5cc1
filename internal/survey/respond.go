package survey

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/campaign"
	"github.com/guanxi-crm/guanxi/internal/service"
	"github.com/guanxi-crm/guanxi/internal/shop"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Form is what a survey link opens.
type Form struct {
	ShopID   int64
	ShopName string
	Survey   *Survey
	Invite   *Invite
	Answered bool // the link was used: show thanks, take no second answer
}

// Open checks a link's token and returns its form. A forged or damaged
// token is ErrLinkInvalid; an expired one, or one of a closed survey,
// ErrLinkExpired.
func (s *Service) Open(ctx context.Context, token string) (*Form, error) {
	shopID, inviteID, err := s.parseToken(ctx, token)
	if err != nil && err != ErrLinkExpired {
		return nil, err
	}
	f, ferr := s.form(ctx, s.db, shopID, inviteID)
	if ferr != nil {
		return nil, ferr
	}
	if f.Answered { // thanks, even after expiry: the customer did answer
		return f, nil
	}
	if err != nil {
		return f, err
	}
	if f.Survey.Status != Active {
		return f, ErrLinkExpired
	}
	return f, nil
}

func (s *Service) form(ctx context.Context, q querier, shopID, inviteID int64) (*Form, error) {
	invs, err := invites(ctx, q, shopID, `WHERE shop_id = ? AND id = ?`, shopID, inviteID)
	if err != nil {
		return nil, err
	}
	if len(invs) == 0 { // signed but gone (the customer or survey deleted)
		return nil, ErrLinkInvalid
	}
	sv, err := get(ctx, q, shopID, invs[0].SurveyID)
	if err != nil {
		if guanxi.ErrorCode(err) == guanxi.ENOTFOUND {
			return nil, ErrLinkInvalid
		}
		return nil, err
	}
	f := &Form{ShopID: shopID, Survey: sv, Invite: &invs[0], Answered: invs[0].Status == Answered}
	if err := q.QueryRow(ctx, `SELECT name FROM shops WHERE id = ?`, shopID).Scan(&f.ShopName); err != nil {
		return nil, fmt.Errorf("survey: shop %d: %w", shopID, err)
	}
	return f, nil
}

// Answer is what a customer submitted. Score is the CSAT or NPS score
// (nil for a custom questionnaire); Answers maps question ids to a string
// (single, text), a list of strings (multiple) or a number (rating).
type Answer struct {
	Score   *int
	Answers map[string]any
	Comment string
}

// Response is a stored response.
type Response struct {
	ID          int64
	SurveyID    int64
	InviteID    int64
	CustomerID  int64
	Kind        string
	Score       *int
	Answers     map[string]any
	Comment     string
	TicketID    int64
	AgentID     int64
	Segment     string
	RespondedAt time.Time
	TaskID      int64 // the detractor follow-up opened, 0 for none
}

// Promoter reports whether an NPS score is a promoter's (9-10).
func Promoter(score int) bool { return score >= 9 }

// Satisfied reports whether a CSAT score counts towards CSAT (4-5).
func Satisfied(score int) bool { return score >= 4 }

// Detractor reports whether a score is a detractor's: NPS 0-6, CSAT 1-2.
func Detractor(kind string, score int) bool {
	switch kind {
	case NPS:
		return score <= 6
	case CSAT:
		return score <= 2
	}
	return false
}

// validate checks an answer against the survey and returns the answers to
// store, keeping only the survey's questions.
func validate(sv *Survey, a *Answer) (map[string]any, error) {
	a.Comment = strings.TrimSpace(a.Comment)
	if utf8.RuneCountInString(a.Comment) > 2000 {
		return nil, invalid("comment", "longer than 2000 characters")
	}
	switch sv.Kind {
	case CSAT:
		if a.Score == nil || *a.Score < 1 || *a.Score > 5 {
			return nil, invalid("score", "choose 1 to 5")
		}
	case NPS:
		if a.Score == nil || *a.Score < 0 || *a.Score > 10 {
			return nil, invalid("score", "choose 0 to 10")
		}
	default:
		a.Score = nil
	}
	out := map[string]any{}
	for _, q := range sv.Questions {
		v, ok := a.Answers[q.ID]
		field := "answers." + q.ID
		switch x := v.(type) {
		case nil:
			ok = false
		case string:
			x = strings.TrimSpace(x)
			switch q.Type {
			case Single:
				if x == "" {
					ok = false
				} else if !slices.Contains(q.Options, x) {
					return nil, invalid(field, "not one of the options")
				}
			case Text:
				if x == "" {
					ok = false
				} else if utf8.RuneCountInString(x) > 2000 {
					return nil, invalid(field, "longer than 2000 characters")
				}
			case Rating:
				if x == "" {
					ok = false
					break
				}
				n, err := strconv.Atoi(x)
				if err != nil || n < 1 || n > q.Scale {
					return nil, invalid(field, "choose 1 to %d", q.Scale)
				}
				v = n
			case Multiple:
				if x == "" {
					ok = false
				} else if !slices.Contains(q.Options, x) {
					return nil, invalid(field, "not one of the options")
				} else {
					v = []string{x}
				}
			}
			if s, isStr := v.(string); isStr {
				v = strings.TrimSpace(s)
			}
		case float64, int:
			n, isInt := x.(int)
			if f, isF := x.(float64); isF {
				n, isInt = int(f), f == float64(int(f))
			}
			if q.Type != Rating || !isInt || n < 1 || n > q.Scale {
				return nil, invalid(field, "choose 1 to %d", max(q.Scale, 1))
			}
			v = n
		case []string, []any:
			if q.Type != Multiple {
				return nil, invalid(field, "one answer expected")
			}
			var picked []string
			var items []any
			if ss, isSS := x.([]string); isSS {
				for _, s := range ss {
					items = append(items, s)
				}
			} else {
				items = x.([]any)
			}
			for _, it := range items {
				s, isS := it.(string)
				if !isS || !slices.Contains(q.Options, s) {
					return nil, invalid(field, "not one of the options")
				}
				if !slices.Contains(picked, s) {
					picked = append(picked, s)
				}
			}
			if len(picked) == 0 {
				ok = false
			}
			v = picked
		default:
			return nil, invalid(field, "unexpected answer")
		}
		if !ok {
			if q.Required {
				return nil, invalid(field, "required")
			}
			continue
		}
		out[q.ID] = v
	}
	return out, nil
}

// Respond records the answer to the link's survey: the response (with
// the customer's RFM segment now), the invite answered, an entry on the
// customer's timeline and, for a detractor, a follow-up task due the next
// working day, all in one transaction. A second answer on the same link is
// refused with ECONFLICT and changes nothing.
func (s *Service) Respond(ctx context.Context, token string, a Answer) (*Response, error) {
	shopID, inviteID, err := s.parseToken(ctx, token)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var r *Response
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		f, err := s.form(ctx, tx, shopID, inviteID)
		if err != nil {
			return err
		}
		if f.Answered {
			return guanxi.Errorf(guanxi.ECONFLICT, "this survey was already answered")
		}
		if f.Survey.Status != Active {
			return ErrLinkExpired
		}
		answers, err := validate(f.Survey, &a)
		if err != nil {
			return err
		}
		inv := f.Invite
		// A customer merged into another since the invite answers as the
		// one they became: the response, timeline and task go there.
		customerID := inv.CustomerID
		var into sql.NullInt64
		if err := tx.QueryRow(ctx, `SELECT merged_into FROM customers WHERE shop_id = ? AND id = ?`, shopID, customerID).Scan(&into); err != nil {
			return fmt.Errorf("survey: customer %d: %w", customerID, err)
		}
		if into.Valid {
			customerID = into.Int64
		}
		r = &Response{SurveyID: f.Survey.ID, InviteID: inv.ID, CustomerID: customerID, Kind: f.Survey.Kind, Score: a.Score,
			Answers: answers, Comment: a.Comment, TicketID: inv.TicketID, AgentID: inv.AgentID, RespondedAt: time.Unix(now.Unix(), 0)}
		if err := tx.QueryRow(ctx, `SELECT COALESCE((SELECT segment_cn FROM customer_scores WHERE shop_id = ? AND customer_id = ?), '')`,
			shopID, r.CustomerID).Scan(&r.Segment); err != nil {
			return fmt.Errorf("survey: segment of customer %d: %w", r.CustomerID, err)
		}
		// The invite turns answered only from a state that is not: two
		// submissions racing each other leave one response.
		res, err := tx.Exec(ctx, `UPDATE survey_invites SET status = 'answered' WHERE shop_id = ? AND id = ? AND status <> 'answered'`, shopID, inv.ID)
		if err != nil {
			return fmt.Errorf("survey: answer invite %d: %w", inv.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return guanxi.Errorf(guanxi.ECONFLICT, "this survey was already answered")
		}
		if r.ID, err = tx.NextIDs(ctx, shopID, "survey_responses", 1); err != nil {
			return err
		}
		js, _ := json.Marshal(answers)
		var score any
		if r.Score != nil {
			score = *r.Score
		}
		if _, err := tx.Exec(ctx, `INSERT INTO survey_responses (shop_id, id, survey_id, invite_id, customer_id, kind, score, answers, comment,
ticket_id, agent_id, segment, responded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, shopID, r.ID, r.SurveyID, r.InviteID, r.CustomerID,
			r.Kind, score, string(js), r.Comment, r.TicketID, store.NullInt(r.AgentID), r.Segment, now.Unix()); err != nil {
			return fmt.Errorf("survey: record response: %w", store.MapError(err))
		}
		title := f.Survey.Title
		if r.Score != nil {
			title = fmt.Sprintf("%s：%d 分", f.Survey.Title, *r.Score)
		}
		data := map[string]any{"survey_id": r.SurveyID, "response_id": r.ID, "kind": r.Kind, "comment": r.Comment}
		if r.Score != nil {
			data["score"] = *r.Score
		}
		if r.TicketID != 0 {
			data["ticket_id"] = r.TicketID
		}
		if err := campaign.AddTimeline(ctx, tx, shopID, r.CustomerID, "survey", title, data, now); err != nil {
			return err
		}
		actx := audit.WithActor(ctx, audit.Actor{Name: "customer:" + strconv.FormatInt(r.CustomerID, 10), IP: audit.ActorFrom(ctx).IP})
		if r.Score != nil && Detractor(r.Kind, *r.Score) && s.tasks != nil {
			loc := shopLocation(ctx, tx, shopID)
			body := r.Comment
			if body == "" {
				body = "（未留言）"
			}
			k := &service.Task{CustomerID: r.CustomerID, TicketID: r.TicketID, Kind: service.TaskDetractor,
				Title: fmt.Sprintf("%s 贬损者回访：%d 分", strings.ToUpper(r.Kind), *r.Score), Body: body,
				DueAt: NextWorkingDay(now, loc), Source: "survey:" + strconv.FormatInt(r.SurveyID, 10),
				SourceKey: fmt.Sprintf("survey:%d:response:%d", r.SurveyID, r.ID)}
			if _, err := s.tasks.OpenTaskTx(actx, tx, shopID, k); err != nil {
				return err
			}
			r.TaskID = k.ID
		}
		return audit.Write(actx, tx, shopID, "survey.response", "survey", r.SurveyID,
			map[string]any{"response_id": r.ID, "customer_id": r.CustomerID, "score": data["score"]}, now)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func shopLocation(ctx context.Context, q querier, shopID int64) *time.Location {
	var tz string
	if err := q.QueryRow(ctx, `SELECT timezone FROM shops WHERE id = ?`, shopID).Scan(&tz); err != nil {
		tz = "Asia/Shanghai" // as good a guess as any for an unreadable shop
	}
	return shop.LocationOf(tz)
}

// NextWorkingDay is 18:00 (the end of the care team's day) on the first
// weekday after t in loc: a detractor answering on Friday evening is
// called back by Monday's end. Public holidays are not known here.
func NextWorkingDay(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	d := time.Date(l.Year(), l.Month(), l.Day()+1, 18, 0, 0, 0, loc)
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// Responses lists responses, newest first: of one survey (surveyID != 0)
// or of one customer (customerID != 0), at most limit (200 by default).
func (s *Service) Responses(ctx context.Context, shopID, surveyID, customerID int64, limit int) ([]Response, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	where, args := `WHERE shop_id = ?`, []any{shopID}
	if surveyID != 0 {
		where, args = where+` AND survey_id = ?`, append(args, surveyID)
	}
	if customerID != 0 {
		where, args = where+` AND customer_id = ?`, append(args, customerID)
	}
	rows, err := s.db.Query(ctx, `SELECT id, survey_id, invite_id, customer_id, kind, score, answers, comment, ticket_id, agent_id, segment, responded_at
FROM survey_responses `+where+` ORDER BY responded_at DESC, id DESC LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("survey: responses of shop %d: %w", shopID, err)
	}
	defer rows.Close()
	var out []Response
	for rows.Next() {
		var r Response
		var score, agent nullInt
		var answers string
		var at int64
		if err := rows.Scan(&r.ID, &r.SurveyID, &r.InviteID, &r.CustomerID, &r.Kind, &score, &answers, &r.Comment, &r.TicketID, &agent, &r.Segment, &at); err != nil {
			return nil, fmt.Errorf("survey: responses of shop %d: %w", shopID, err)
		}
		if score.Valid {
			n := int(score.Int64)
			r.Score = &n
		}
		r.AgentID, r.RespondedAt = agent.Int64, time.Unix(at, 0)
		if err := json.Unmarshal([]byte(answers), &r.Answers); err != nil {
			return nil, fmt.Errorf("survey: answers of response %d: %w", r.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
