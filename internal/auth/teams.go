package auth

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/guanxi-crm/guanxi"
	"github.com/guanxi-crm/guanxi/internal/audit"
	"github.com/guanxi-crm/guanxi/internal/store"
)

// Member is a user's place in a shop: their role and teams.
type Member struct {
	User  User
	Role  Role
	Teams []int64 // team ids, ascending
}

// Team is a group of a shop's members (售后组, 关怀组…) that work is assigned to.
type Team struct {
	ID      int64
	Name    string
	Members int
}

// Members lists a shop's members by username, with their teams.
func (s *Service) Members(ctx context.Context, shopID int64) ([]Member, error) {
	rows, err := s.db.Query(ctx, `SELECT u.id, u.username, u.display_name, u.locale, u.disabled, u.created_at, u.totp_secret <> '', m.role
FROM shop_members m JOIN users u ON u.id = m.user_id WHERE m.shop_id = ? ORDER BY u.username`, shopID)
	if err != nil {
		return nil, fmt.Errorf("auth: members of shop %d: %w", shopID, err)
	}
	defer rows.Close()
	var out []Member
	at := map[int64]int{}
	for rows.Next() {
		var m Member
		var created int64
		var role string
		if err := rows.Scan(&m.User.ID, &m.User.Username, &m.User.DisplayName, &m.User.Locale, &m.User.Disabled, &created, &m.User.TOTP, &role); err != nil {
			return nil, fmt.Errorf("auth: members of shop %d: %w", shopID, err)
		}
		m.Role = Role(role)
		at[m.User.ID] = len(out)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("auth: members of shop %d: %w", shopID, err)
	}
	tm, err := s.db.Query(ctx, `SELECT user_id, team_id FROM team_members WHERE shop_id = ? ORDER BY team_id`, shopID)
	if err != nil {
		return nil, fmt.Errorf("auth: teams of shop %d: %w", shopID, err)
	}
	defer tm.Close()
	for tm.Next() {
		var uid, tid int64
		if err := tm.Scan(&uid, &tid); err != nil {
			return nil, fmt.Errorf("auth: teams of shop %d: %w", shopID, err)
		}
		if i, ok := at[uid]; ok {
			out[i].Teams = append(out[i].Teams, tid)
		}
	}
	return out, tm.Err()
}

// SetRole changes a member's role in the shop, refusing to leave the shop
// without an admin.
func (s *Service) SetRole(ctx context.Context, shopID, userID int64, role Role) error {
	if !role.Valid() {
		return guanxi.Errorf(guanxi.EINVALID, "role %q: use admin, agent, care or analyst", role)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		old, err := memberRole(ctx, tx, shopID, userID)
		if err != nil {
			return err
		}
		if old == role {
			return nil
		}
		if old == RoleAdmin {
			if err := keepAnAdmin(ctx, tx, shopID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE shop_members SET role = ? WHERE shop_id = ? AND user_id = ?`, string(role), shopID, userID); err != nil {
			return fmt.Errorf("auth: role of %d in shop %d: %w", userID, shopID, err)
		}
		return audit.Write(ctx, tx, shopID, "member.role", "user", userID, map[string]string{"from": string(old), "to": string(role)}, s.clock.Now())
	})
}

// RemoveMember takes a user out of the shop (and its teams), refusing to
// remove its last admin.
func (s *Service) RemoveMember(ctx context.Context, shopID, userID int64) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		old, err := memberRole(ctx, tx, shopID, userID)
		if err != nil {
			return err
		}
		if old == RoleAdmin {
			if err := keepAnAdmin(ctx, tx, shopID); err != nil {
				return err
			}
		}
		for _, q := range []string{`DELETE FROM team_members WHERE shop_id = ? AND user_id = ?`, `DELETE FROM shop_members WHERE shop_id = ? AND user_id = ?`} {
			if _, err := tx.Exec(ctx, q, shopID, userID); err != nil {
				return fmt.Errorf("auth: remove %d from shop %d: %w", userID, shopID, err)
			}
		}
		return audit.Write(ctx, tx, shopID, "member.remove", "user", userID, map[string]string{"role": string(old)}, s.clock.Now())
	})
}

func memberRole(ctx context.Context, tx *store.Tx, shopID, userID int64) (Role, error) {
	var role string
	err := tx.QueryRow(ctx, `SELECT role FROM shop_members WHERE shop_id = ? AND user_id = ?`, shopID, userID).Scan(&role)
	if err != nil {
		return "", guanxi.Errorf(guanxi.ENOTFOUND, "user %d is not a member of this shop", userID)
	}
	return Role(role), nil
}

// keepAnAdmin refuses a change that would take away the shop's only admin.
func keepAnAdmin(ctx context.Context, tx *store.Tx, shopID int64) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM shop_members WHERE shop_id = ? AND role = 'admin'`, shopID).Scan(&n); err != nil {
		return fmt.Errorf("auth: admins of shop %d: %w", shopID, err)
	}
	if n <= 1 {
		return guanxi.Errorf(guanxi.ECONFLICT, "a shop needs at least one admin: make someone else admin first")
	}
	return nil
}

// Teams lists a shop's teams by name, with their member counts.
func (s *Service) Teams(ctx context.Context, shopID int64) ([]Team, error) {
	rows, err := s.db.Query(ctx, `SELECT t.id, t.name, (SELECT COUNT(*) FROM team_members m WHERE m.shop_id = t.shop_id AND m.team_id = t.id)
FROM teams t WHERE t.shop_id = ? ORDER BY t.name`, shopID)
	if err != nil {
		return nil, fmt.Errorf("auth: teams of shop %d: %w", shopID, err)
	}
	defer rows.Close()
	var out []Team
	for rows.Next() {
		var t Team
		if err := rows.Scan(&t.ID, &t.Name, &t.Members); err != nil {
			return nil, fmt.Errorf("auth: teams of shop %d: %w", shopID, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// CreateTeam adds a team named name (1–40 characters, unique in the shop).
func (s *Service) CreateTeam(ctx context.Context, shopID int64, name string) (*Team, error) {
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n == 0 || n > 40 {
		return nil, guanxi.Errorf(guanxi.EINVALID, "team name: 1 to 40 characters")
	}
	t := &Team{Name: name}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if t.ID, err = tx.NextIDs(ctx, shopID, "teams", 1); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO teams (shop_id, id, name, created_at) VALUES (?, ?, ?, ?)`, shopID, t.ID, name, s.clock.Now().Unix()); err != nil {
			if guanxi.ErrorCode(store.MapError(err)) == guanxi.ECONFLICT {
				return guanxi.Errorf(guanxi.ECONFLICT, "there is already a team %q", name)
			}
			return err
		}
		return audit.Write(ctx, tx, shopID, "team.create", "team", t.ID, map[string]string{"name": name}, s.clock.Now())
	})
	if err != nil {
		if guanxi.ErrorCode(err) != guanxi.EINTERNAL {
			return nil, err
		}
		return nil, fmt.Errorf("auth: create team %q in shop %d: %w", name, shopID, err)
	}
	return t, nil
}

// DeleteTeam removes a team; its members stay in the shop.
func (s *Service) DeleteTeam(ctx context.Context, shopID, teamID int64) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		var name string
		if err := tx.QueryRow(ctx, `SELECT name FROM teams WHERE shop_id = ? AND id = ?`, shopID, teamID).Scan(&name); err != nil {
			return guanxi.Errorf(guanxi.ENOTFOUND, "team %d not found", teamID)
		}
		for _, q := range []string{`DELETE FROM team_members WHERE shop_id = ? AND team_id = ?`, `DELETE FROM teams WHERE shop_id = ? AND id = ?`} {
			if _, err := tx.Exec(ctx, q, shopID, teamID); err != nil {
				return fmt.Errorf("auth: delete team %d: %w", teamID, err)
			}
		}
		return audit.Write(ctx, tx, shopID, "team.delete", "team", teamID, map[string]string{"name": name}, s.clock.Now())
	})
}

// SetTeamMember puts a shop member in a team (in true) or takes them out.
func (s *Service) SetTeamMember(ctx context.Context, shopID, teamID, userID int64, in bool) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM teams WHERE shop_id = ? AND id = ?`, shopID, teamID).Scan(&n); err != nil || n == 0 {
			return guanxi.Errorf(guanxi.ENOTFOUND, "team %d not found", teamID)
		}
		if _, err := memberRole(ctx, tx, shopID, userID); err != nil {
			return err
		}
		q, action := `INSERT INTO team_members (shop_id, team_id, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, "team.add"
		if !in {
			q, action = `DELETE FROM team_members WHERE shop_id = ? AND team_id = ? AND user_id = ?`, "team.remove"
		}
		if _, err := tx.Exec(ctx, q, shopID, teamID, userID); err != nil {
			return fmt.Errorf("auth: team %d member %d: %w", teamID, userID, err)
		}
		return audit.Write(ctx, tx, shopID, action, "team", teamID, map[string]int64{"user": userID}, s.clock.Now())
	})
}

// AddMember gives a user a role in the shop, as Grant does, and audits it.
func (s *Service) AddMember(ctx context.Context, shopID, userID int64, role Role) error {
	if !role.Valid() {
		return guanxi.Errorf(guanxi.EINVALID, "role %q: use admin, agent, care or analyst", role)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO shop_members (shop_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`, shopID, userID, string(role), s.clock.Now().Unix()); err != nil {
			if guanxi.ErrorCode(store.MapError(err)) == guanxi.ECONFLICT {
				return guanxi.Errorf(guanxi.ECONFLICT, "user %d is already a member of this shop", userID)
			}
			return fmt.Errorf("auth: add %d to shop %d: %w", userID, shopID, err)
		}
		return audit.Write(ctx, tx, shopID, "member.add", "user", userID, map[string]string{"role": string(role)}, s.clock.Now())
	})
}
