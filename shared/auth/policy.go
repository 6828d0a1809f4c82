package auth

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"banban/shared/apperr"
)

// Access is how a route's caller is established.
type Access string

// The three ways in.
const (
	Public Access = "public" // no credentials: anyone (public routes are rate-limited per client)
	Kiosk  Access = "kiosk"  // signed by a registered kiosk (HMAC over the request, see package kiosk)
	Token  Access = "token"  // a bearer JWT verified by the API Gateway authorizer
)

// Reach is how far a role's access to the target of a route extends.
type Reach string

// The reaches. A target says which halls, units, units with a part, windows and owners it
// belongs to; a reach matches when the principal's own claim is among them.
const (
	All    Reach = "all"    // every target (the city administration)
	Hall   Reach = "hall"   // targets of the principal's hall
	Unit   Reach = "unit"   // targets of the principal's unit
	Part   Reach = "part"   // targets in which the principal's unit has a part (a joint case's units)
	Window Reach = "window" // targets of the principal's window
	Own    Reach = "own"    // the principal's own targets: its case, its account, its assignment
	// Claim: targets of the principal's hall or unit that it may only claim for itself (a helper
	// taking a case that waits for one); the route allows nothing else through this reach.
	Claim Reach = "claim"
)

// Reaches lists every reach.
var Reaches = []Reach{All, Hall, Unit, Part, Window, Own, Claim}

// Policy is who may call a route and, per role, how far into the targets the role reaches. A role
// not listed is refused with 403 whatever the target; a listed role asking for a target it does
// not reach gets 404, the same answer as for a target that does not exist, so ids cannot be
// probed.
type Policy struct {
	Access Access
	Roles  map[Role][]Reach
}

// PublicPolicy is the policy of a public route.
func PublicPolicy() Policy { return Policy{Access: Public} }

// KioskPolicy is the policy of a route signed by kiosks.
func KioskPolicy() Policy { return Policy{Access: Kiosk} }

// Allow is the policy of a token route: the roles and their reaches.
func Allow(roles map[Role][]Reach) Policy { return Policy{Access: Token, Roles: roles} }

// Validate reports a policy that cannot be enforced: a token route without roles, unknown roles or
// reaches, roles on a route that takes no token.
func (pol Policy) Validate() error {
	switch pol.Access {
	case Public, Kiosk:
		if len(pol.Roles) > 0 {
			return fmt.Errorf("a %s route names no roles", pol.Access)
		}
		return nil
	case Token:
		if len(pol.Roles) == 0 {
			return fmt.Errorf("a token route names the roles that may call it")
		}
		for r, reaches := range pol.Roles {
			if !r.Valid() {
				return fmt.Errorf("unknown role %q", r)
			}
			if len(reaches) == 0 {
				return fmt.Errorf("role %s reaches nothing", r)
			}
			for _, x := range reaches {
				if !slices.Contains(Reaches, x) {
					return fmt.Errorf("role %s: unknown reach %q", r, x)
				}
			}
		}
		return nil
	}
	return fmt.Errorf("unknown access %q", pol.Access)
}

// Admit refuses a principal whose role the policy does not list (403).
func (pol Policy) Admit(p Principal) error {
	if _, ok := pol.Roles[p.Role]; !ok {
		return apperr.New(apperr.Forbidden, "forbidden", "role %s may not do this", p.Role)
	}
	return nil
}

// Target is where the object of a request belongs, resolved from the object itself: the halls,
// units and windows it is of, the units with a part in it, and the subjects that own it.
type Target struct {
	Halls   []string
	Units   []string
	Parts   []string
	Windows []string
	Owners  []string // namespaced subjects
}

// Reaches reports whether p reaches t under the policy.
func (pol Policy) Reaches(p Principal, t Target) bool {
	for _, x := range pol.Roles[p.Role] {
		if x.reaches(p, t) {
			return true
		}
	}
	return false
}

func (x Reach) reaches(p Principal, t Target) bool {
	has := func(list []string, v string) bool { return v != "" && slices.Contains(list, v) }
	switch x {
	case All:
		return true
	case Hall:
		return has(t.Halls, p.HallID)
	case Unit:
		return has(t.Units, p.UnitID)
	case Part:
		return has(t.Parts, p.UnitID)
	case Window:
		return has(t.Windows, p.WindowID)
	case Own:
		return has(t.Owners, p.Subject)
	case Claim:
		return has(t.Halls, p.HallID) || has(t.Units, p.UnitID)
	}
	return false
}

// Check admits p and requires it to reach t; a target out of reach answers as one that does not
// exist: 404 "<what> not found".
func (pol Policy) Check(p Principal, t Target, what string) error {
	if err := pol.Admit(p); err != nil {
		return err
	}
	if !pol.Reaches(p, t) {
		return NotFound(what)
	}
	return nil
}

// NotFound is the answer for a target that does not exist or is out of the caller's reach.
func NotFound(what string) error {
	return apperr.New(apperr.NotFound, "not_found", "%s not found", what)
}

// String writes the policy as the contract declares it, e.g. "token city_admin:all hall_admin:hall".
func (pol Policy) String() string {
	if pol.Access != Token {
		return string(pol.Access)
	}
	parts := make([]string, 0, len(pol.Roles))
	for r, reaches := range pol.Roles {
		rs := make([]string, len(reaches))
		for i, x := range reaches {
			rs[i] = string(x)
		}
		sort.Strings(rs)
		parts = append(parts, string(r)+":"+strings.Join(rs, ","))
	}
	sort.Strings(parts)
	return "token " + strings.Join(parts, " ")
}
