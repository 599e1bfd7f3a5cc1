package survey

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/guanxi-crm/guanxi/internal/shop"
)

type nullInt = sql.NullInt64

// Score is the satisfaction of a set of responses.
//
// NPS = promoters (9-10) % − detractors (0-6) % of the NPS answers, from
// −100 to 100. CSAT = the share (%) of CSAT answers that are 4 or 5, and
// CSATMean their mean. ResponseRate = responses % of invites delivered
// (sent or answered) in the same period and group. Each figure is
// meaningful only when its count is above zero.
type Score struct {
	Responses                                 int
	NPSCount, Promoters, Passives, Detractors int
	NPS                                       float64
	CSATCount, Satisfied                      int
	CSAT, CSATMean                            float64
	Invited                                   int
	ResponseRate                              float64

	csatSum int
}

func (s *Score) add(kind string, score *int) {
	s.Responses++
	if score == nil {
		return
	}
	switch kind {
	case NPS:
		s.NPSCount++
		switch {
		case Promoter(*score):
			s.Promoters++
		case Detractor(NPS, *score):
			s.Detractors++
		default:
			s.Passives++
		}
	case CSAT:
		s.CSATCount++
		s.csatSum += *score
		if Satisfied(*score) {
			s.Satisfied++
		}
	}
}

func (s *Score) finish() {
	if s.NPSCount > 0 {
		s.NPS = float64(s.Promoters-s.Detractors) * 100 / float64(s.NPSCount)
	}
	if s.CSATCount > 0 {
		s.CSAT = float64(s.Satisfied) * 100 / float64(s.CSATCount)
		s.CSATMean = float64(s.csatSum) / float64(s.CSATCount)
	}
	if s.Invited > 0 {
		s.ResponseRate = float64(s.Responses) * 100 / float64(s.Invited)
	}
}

// Group is the score of one month ("2026-01"), RFM segment (its Chinese
// name, "" for customers not scored) or agent.
type Group struct {
	Key       string
	AgentID   int64  // by agent
	AgentName string // by agent: display name, else username
	Score
}

// Results are a shop's satisfaction in a period.
type Results struct {
	From, To time.Time
	Total    Score
	Months   []Group // every month of the period, in order, empty ones too
	Segments []Group // by RFM segment at the time of answering, largest first
	Agents   []Group // by the agent a CSAT rates, largest first
}

// Results reads every survey's responses in [from, to), months in the
// shop's zone.
func (s *Service) Results(ctx context.Context, shopID int64, from, to time.Time) (*Results, error) {
	return s.results(ctx, shopID, 0, from, to)
}

// SurveyResults is Results for one survey.
func (s *Service) SurveyResults(ctx context.Context, shopID, surveyID int64, from, to time.Time) (*Results, error) {
	return s.results(ctx, shopID, surveyID, from, to)
}

func (s *Service) results(ctx context.Context, shopID, surveyID int64, from, to time.Time) (*Results, error) {
	loc := shopLocation(ctx, s.db, shopID)
	res := &Results{From: from, To: to}
	months := map[string]*Group{}
	for _, m := range shop.MonthStarts(from, to, loc) {
		k := m.Format("2006-01")
		res.Months = append(res.Months, Group{Key: k})
	}
	for i := range res.Months {
		months[res.Months[i].Key] = &res.Months[i]
	}
	segs, agents := map[string]*Group{}, map[int64]*Group{}
	segOf := func(k string) *Group {
		if g := segs[k]; g != nil {
			return g
		}
		g := &Group{Key: k}
		segs[k] = g
		return g
	}
	agentOf := func(id int64) *Group {
		if g := agents[id]; g != nil {
			return g
		}
		g := &Group{AgentID: id}
		agents[id] = g
		return g
	}
	filter, args := ``, []any{shopID, from.Unix(), to.Unix()}
	if surveyID != 0 {
		filter, args = ` AND r.survey_id = ?`, append(args, surveyID)
	}
	rows, err := s.db.Query(ctx, `SELECT r.kind, r.score, r.segment, r.agent_id, r.responded_at FROM survey_responses r
WHERE r.shop_id = ? AND r.responded_at >= ? AND r.responded_at < ?`+filter, args...)
	if err != nil {
		return nil, fmt.Errorf("survey: results of shop %d: %w", shopID, err)
	}
	for rows.Next() {
		var kind, seg string
		var score, agent nullInt
		var at int64
		if err := rows.Scan(&kind, &score, &seg, &agent, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("survey: results of shop %d: %w", shopID, err)
		}
		var sc *int
		if score.Valid {
			n := int(score.Int64)
			sc = &n
		}
		res.Total.add(kind, sc)
		if g := months[time.Unix(at, 0).In(loc).Format("2006-01")]; g != nil {
			g.add(kind, sc)
		}
		segOf(seg).add(kind, sc)
		if agent.Valid {
			agentOf(agent.Int64).add(kind, sc)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Invites delivered in the period, for the response rates: by when they
	// went, by the agent they rate and by the customer's segment now (an
	// invite not answered has no segment of its own).
	filter = ``
	if surveyID != 0 {
		filter = ` AND i.survey_id = ?`
	}
	rows, err = s.db.Query(ctx, `SELECT COALESCE(i.sent_at, i.created_at), i.agent_id, COALESCE(r.segment, cs.segment_cn, '') FROM survey_invites i
LEFT JOIN survey_responses r ON r.shop_id = i.shop_id AND r.invite_id = i.id
LEFT JOIN customer_scores cs ON cs.shop_id = i.shop_id AND cs.customer_id = i.customer_id
WHERE i.shop_id = ? AND i.status IN ('sent', 'answered') AND COALESCE(i.sent_at, i.created_at) >= ? AND COALESCE(i.sent_at, i.created_at) < ?`+filter, args...)
	if err != nil {
		return nil, fmt.Errorf("survey: invites of shop %d: %w", shopID, err)
	}
	for rows.Next() {
		var at int64
		var agent nullInt
		var seg string
		if err := rows.Scan(&at, &agent, &seg); err != nil {
			rows.Close()
			return nil, err
		}
		res.Total.Invited++
		if g := months[time.Unix(at, 0).In(loc).Format("2006-01")]; g != nil {
			g.Invited++
		}
		segOf(seg).Invited++
		if agent.Valid {
			agentOf(agent.Int64).Invited++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	res.Total.finish()
	for i := range res.Months {
		res.Months[i].finish()
	}
	for _, g := range segs {
		g.finish()
		res.Segments = append(res.Segments, *g)
	}
	for id, g := range agents {
		g.finish()
		var name, username string
		if err := s.db.QueryRow(ctx, `SELECT display_name, username FROM users WHERE id = ?`, id).Scan(&name, &username); err == nil {
			if name == "" {
				name = username
			}
			g.AgentName = name
		}
		g.Key = g.AgentName
		res.Agents = append(res.Agents, *g)
	}
	byCount := func(gs []Group) func(i, j int) bool {
		return func(i, j int) bool {
			if gs[i].Responses != gs[j].Responses {
				return gs[i].Responses > gs[j].Responses
			}
			if gs[i].Key != gs[j].Key {
				return gs[i].Key < gs[j].Key
			}
			return gs[i].AgentID < gs[j].AgentID
		}
	}
	sort.SliceStable(res.Segments, byCount(res.Segments))
	sort.SliceStable(res.Agents, byCount(res.Agents))
	return res, nil
}

// Month is one month of the scorecard: CSAT (% of 4-5 answers) and NPS
// with how many answers each stands on.
type Month struct {
	Month     string // 2026-01, shop time
	CSAT      float64
	CSATMean  float64
	CSATCount int
	NPS       float64
	NPSCount  int
}

// MonthlyScores returns CSAT and NPS for every month in [from, to), for the
// scorecard.
func (s *Service) MonthlyScores(ctx context.Context, shopID int64, from, to time.Time) ([]Month, error) {
	res, err := s.Results(ctx, shopID, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]Month, len(res.Months))
	for i, g := range res.Months {
		out[i] = Month{Month: g.Key, CSAT: g.CSAT, CSATMean: g.CSATMean, CSATCount: g.CSATCount, NPS: g.NPS, NPSCount: g.NPSCount}
	}
	return out, nil
}

// AgentScore is one agent's CSAT in a period, for the scorecard.
type AgentScore struct {
	AgentID   int64
	Name      string
	CSAT      float64 // % of 4-5
	CSATMean  float64
	CSATCount int
	Invited   int
}

// ByAgent returns the CSAT of every agent rated in [from, to).
func (s *Service) ByAgent(ctx context.Context, shopID int64, from, to time.Time) ([]AgentScore, error) {
	res, err := s.Results(ctx, shopID, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]AgentScore, 0, len(res.Agents))
	for _, g := range res.Agents {
		out = append(out, AgentScore{AgentID: g.AgentID, Name: g.AgentName, CSAT: g.CSAT, CSATMean: g.CSATMean, CSATCount: g.CSATCount, Invited: g.Invited})
	}
	return out, nil
}
