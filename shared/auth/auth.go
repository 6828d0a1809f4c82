// Package auth knows who the caller is and what each role may see. It is pure domain code: the
// HTTP adapter turns verified JWT claims into a Principal, and handlers ask the policy here.
package auth

import (
	"banban/shared/apperr"
)

// Role is what a caller is in the service hall system.
type Role string

// The roles a token can carry.
const (
	Citizen    Role = "citizen"    // a person using a mini-program
	Enterprise Role = "enterprise" // an enterprise user of a mini-program
	Helper     Role = "helper"     // 帮办员, an assisted-handling helper
	Clerk      Role = "clerk"      // a window clerk (窗口工作人员)
	UnitAdmin  Role = "unit_admin" // administrator of a stationed unit (派驻单位)
	HallAdmin  Role = "hall_admin" // administrator of one service hall
	CityAdmin  Role = "city_admin" // the city administration (行政审批服务局)
)

// Roles lists every role, for token tooling and tests.
var Roles = []Role{Citizen, Enterprise, Helper, Clerk, UnitAdmin, HallAdmin, CityAdmin}

// Claim names carried by banban tokens.
const (
	ClaimSubject = "sub"
	ClaimRole    = "role"
	ClaimUnit    = "unit"
	ClaimHall    = "hall"
	ClaimWindow  = "window"
)

// Principal is an authenticated caller.
type Principal struct {
	Subject  string
	Role     Role
	UnitID   string // set for unit staff and unit administrators
	HallID   string // set for hall staff and hall administrators
	WindowID string // set for window clerks
}

// FromClaims builds a Principal from claims already verified by the authorizer.
func FromClaims(claims map[string]string) (Principal, error) {
	p := Principal{
		Subject:  claims[ClaimSubject],
		Role:     Role(claims[ClaimRole]),
		UnitID:   claims[ClaimUnit],
		HallID:   claims[ClaimHall],
		WindowID: claims[ClaimWindow],
	}
	if p.Subject == "" {
		return Principal{}, apperr.New(apperr.Unauthenticated, "unauthenticated", "the token has no subject")
	}
	if !p.Role.Valid() {
		return Principal{}, apperr.New(apperr.Forbidden, "unknown_role", "the token carries no known role")
	}
	return p, nil
}

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	for _, known := range Roles {
		if r == known {
			return true
		}
	}
	return false
}

// WindowScope is what the policy needs to know about a service window.
type WindowScope struct {
	WindowID string
	HallID   string
	UnitID   string
}

// CanReadWindowFigures reports whether p may read a window's rating figures. Figures are counts,
// never who rated what, so a clerk may read the figures of the clerk's own window.
func (p Principal) CanReadWindowFigures(w WindowScope) bool {
	if p.Role == Clerk {
		return p.WindowID != "" && p.WindowID == w.WindowID
	}
	return p.CanAdministerWindow(w)
}

// CanAdministerWindow reports whether p administers the window: the city administration, the
// window's hall administrator and its unit's administrator (QR rating codes, for one).
func (p Principal) CanAdministerWindow(w WindowScope) bool {
	switch p.Role {
	case CityAdmin:
		return true
	case HallAdmin:
		return p.HallID != "" && p.HallID == w.HallID
	case UnitAdmin:
		return p.UnitID != "" && p.UnitID == w.UnitID
	default:
		return false
	}
}
