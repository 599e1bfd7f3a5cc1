package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Assignment modes: how a new ticket without an assignee is given to
// someone.
const (
	AssignManual     = "manual"      // nobody: a lead assigns by hand
	AssignRoundRobin = "round_robin" // the next agent in turn
	AssignSkill      = "skill"       // the agent skilled in the ticket's kind with the fewest open tickets
)

// AssignModes lists the assignment modes.
var AssignModes = []string{AssignManual, AssignRoundRobin, AssignSkill}

// Settings are a shop's service desk settings.
type Settings struct {
	AssignMode string
	UpdatedAt  time.Time // zero while never saved
}

// Settings returns the shop's service settings; a shop that never saved
// any assigns by hand.
func (s *Service) Settings(ctx context.Context, shopID int64) (Settings, error) {
	return settingsOf(ctx, s.db, shopID)
}

func settingsOf(ctx context.Context, q querier, shopID int64) (Settings, error) {
	st := Settings{AssignMode: AssignManual}
	var updated int64
	err := q.QueryRow(ctx, `SELECT assign_mode, updated_at FROM service_settings WHERE shop_id = ?`, shopID).Scan(&st.AssignMode, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("service: settings of shop %d: %w", shopID, err)
	}
	st.UpdatedAt = time.Unix(updated, 0)
	return st, nil
}

// SaveSettings saves the shop's service settings, failing with EINVALID
// for an unknown assignment mode.
func (s *Service) SaveSettings(ctx context.Context, shopID int64, st Settings) error {
	if !slices.Contains(AssignModes, st.AssignMode) {
		return invalid("assign_mode", "%q: expected one of %s", st.AssignMode, strings.Join(AssignModes, ", "))
	}
	now := s.now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO service_settings (shop_id, assign_mode, updated_at) VALUES (?, ?, ?)
ON CONFLICT (shop_id) DO UPDATE SET assign_mode = excluded.assign_mode, updated_at = excluded.updated_at`,
			shopID, st.AssignMode, now.Unix()); err != nil {
			return fmt.Errorf("service: save settings of shop %d: %w", shopID, err)
		}
		return audit.Write(ctx, tx, shopID, "service.settings", "shop", shopID, map[string]any{"assign_mode": st.AssignMode}, now)
	})
}

// SetSkills replaces the skills a member of the shop declares: the ticket
// kinds (Kinds: refund, complaint …) they handle when tickets are assigned
// by skill. It fails with EINVALID for an unknown kind or a user who is no
// member of the shop.
func (s *Service) SetSkills(ctx context.Context, shopID, userID int64, skills []string) error {
	skills = slices.Clone(skills)
	slices.Sort(skills)
	skills = slices.Compact(skills)
	for _, k := range skills {
		if !slices.Contains(Kinds, k) {
			return invalid("skills", "%q: expected ticket kinds (%s)", k, strings.Join(Kinds, ", "))
		}
	}
	if userID == 0 {
		return invalid("user_id", "required")
	}
	now := s.now()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if err := checkAssignee(ctx, tx, shopID, userID, 0); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM agent_skills WHERE shop_id = ? AND user_id = ?`, shopID, userID); err != nil {
			return fmt.Errorf("service: skills of user %d: %w", userID, err)
		}
		for _, k := range skills {
			if _, err := tx.Exec(ctx, `INSERT INTO agent_skills (shop_id, user_id, skill) VALUES (?, ?, ?)`, shopID, userID, k); err != nil {
				return fmt.Errorf("service: skills of user %d: %w", userID, err)
			}
		}
		return audit.Write(ctx, tx, shopID, "service.skills", "user", userID, map[string]any{"skills": skills}, now)
	})
}

// Skills returns the declared skills of the shop's members, by user id,
// each sorted; members without skills are absent.
func (s *Service) Skills(ctx context.Context, shopID int64) (map[int64][]string, error) {
	rows, err := s.db.Query(ctx, `SELECT user_id, skill FROM agent_skills WHERE shop_id = ? ORDER BY user_id, skill`, shopID)
	if err != nil {
		return nil, fmt.Errorf("service: skills of shop %d: %w", shopID, err)
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var u int64
		var k string
		if err := rows.Scan(&u, &k); err != nil {
			return nil, fmt.Errorf("service: skills of shop %d: %w", shopID, err)
		}
		out[u] = append(out[u], k)
	}
	return out, rows.Err()
}

// AutoAssign gives an unassigned ticket to an agent as the shop's mode
// says (round robin, or by skill); with the manual mode, asking is itself
// the choice, so it goes round robin. Candidates are the ticket's team's
// members when it has a team, else the shop's agents (role agent). It
// fails with ECONFLICT when the ticket is already assigned, changed since
// version, or nobody can take it.
func (s *Service) AutoAssign(ctx context.Context, shopID, id, version int64) (*Ticket, error) {
	now := s.now()
	var out *Ticket
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		t, err := getVersion(ctx, tx, shopID, id, version)
		if err != nil {
			return err
		}
		if t.AssigneeID != 0 {
			return guanxi.Errorf(guanxi.ECONFLICT, "ticket %d is already assigned to user %d", id, t.AssigneeID)
		}
		st, err := settingsOf(ctx, tx, shopID)
		if err != nil {
			return err
		}
		mode := st.AssignMode
		if mode == AssignManual {
			mode = AssignRoundRobin
		}
		user, err := pickAgent(ctx, tx, shopID, mode, t.Kind, t.TeamID)
		if err != nil {
			return err
		}
		if user == 0 {
			return guanxi.Errorf(guanxi.ECONFLICT, "nobody to assign ticket %d to: the shop has no agents%s", id, teamNote(t.TeamID))
		}
		t.AssigneeID = user
		if err := save(ctx, tx, shopID, t, now); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, shopID, id, "assign", fmt.Sprintf("user:0 team:%d", t.TeamID),
			fmt.Sprintf("user:%d team:%d", user, t.TeamID), "auto:"+mode, now); err != nil {
			return err
		}
		out = t
		return audit.Write(ctx, tx, shopID, "ticket.assign", "ticket", id, map[string]any{"user_id": user, "team_id": t.TeamID, "mode": mode}, now)
	})
	return out, err
}

func teamNote(teamID int64) string {
	if teamID != 0 {
		return fmt.Sprintf(" (team %d has no members)", teamID)
	}
	return ""
}

// pickAgent chooses whom a ticket of kind (in team, 0 for none) goes to
// under mode, 0 when nobody can take it. By skill, the skilled candidate
// with the fewest open tickets wins (the lowest id on a tie); when nobody
// declared the kind, it falls back to round robin so no ticket is left
// unassigned for want of a skill.
func pickAgent(ctx context.Context, tx *store.Tx, shopID int64, mode, kind string, teamID int64) (int64, error) {
	var q string
	args := []any{shopID}
	if teamID != 0 {
		q = `SELECT user_id FROM team_members WHERE shop_id = ? AND team_id = ? ORDER BY user_id`
		args = append(args, teamID)
	} else {
		q = `SELECT user_id FROM shop_members WHERE shop_id = ? AND role = 'agent' ORDER BY user_id`
	}
	cands, err := store.IDs(ctx, tx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("service: assignment candidates: %w", err)
	}
	if len(cands) == 0 {
		return 0, nil
	}
	if mode == AssignSkill {
		args := []any{shopID, kind}
		for _, c := range cands {
			args = append(args, c)
		}
		skilled, err := store.IDs(ctx, tx, `SELECT user_id FROM agent_skills WHERE shop_id = ? AND skill = ? AND user_id IN (`+store.In(len(cands))+`) ORDER BY user_id`, args...)
		if err != nil {
			return 0, fmt.Errorf("service: skilled agents: %w", err)
		}
		if len(skilled) > 0 {
			return leastLoaded(ctx, tx, shopID, skilled)
		}
	}
	return roundRobin(ctx, tx, shopID, teamID, cands)
}

// leastLoaded returns the user among cands (ascending) with the fewest open
// tickets.
func leastLoaded(ctx context.Context, tx *store.Tx, shopID int64, cands []int64) (int64, error) {
	args := []any{shopID}
	for _, c := range cands {
		args = append(args, c)
	}
	rows, err := tx.Query(ctx, `SELECT assignee_id, COUNT(*) FROM tickets WHERE shop_id = ? AND closed_at IS NULL
AND assignee_id IN (`+store.In(len(cands))+`) GROUP BY assignee_id`, args...)
	if err != nil {
		return 0, fmt.Errorf("service: open tickets per agent: %w", err)
	}
	defer rows.Close()
	load := map[int64]int64{}
	for rows.Next() {
		var u, n int64
		if err := rows.Scan(&u, &n); err != nil {
			return 0, err
		}
		load[u] = n
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	best := cands[0]
	for _, c := range cands[1:] {
		if load[c] < load[best] {
			best = c
		}
	}
	return best, nil
}

// roundRobin returns the candidate after the one the stored cursor names
// (wrapping), and moves the cursor to it. The cursor row is written before
// it is read, so on PostgreSQL a concurrent assignment waits for this one
// rather than picking the same agent.
func roundRobin(ctx context.Context, tx *store.Tx, shopID, teamID int64, cands []int64) (int64, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO assign_cursors (shop_id, team_id, last_user_id) VALUES (?, ?, 0)
ON CONFLICT (shop_id, team_id) DO UPDATE SET last_user_id = assign_cursors.last_user_id`, shopID, teamID); err != nil {
		return 0, fmt.Errorf("service: round robin cursor: %w", err)
	}
	var last int64
	if err := tx.QueryRow(ctx, `SELECT last_user_id FROM assign_cursors WHERE shop_id = ? AND team_id = ?`, shopID, teamID).Scan(&last); err != nil {
		return 0, fmt.Errorf("service: round robin cursor: %w", err)
	}
	next := cands[0]
	for _, c := range cands {
		if c > last {
			next = c
			break
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE assign_cursors SET last_user_id = ? WHERE shop_id = ? AND team_id = ?`, next, shopID, teamID); err != nil {
		return 0, fmt.Errorf("service: round robin cursor: %w", err)
	}
	return next, nil
}
