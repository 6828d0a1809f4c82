// Package auth knows who the caller is and what each route lets each role reach. It is pure
// domain code: the HTTP adapter turns verified JWT claims into a Principal, every route declares
// a Policy, and the adapter enforces it in one place (see policy.go).
//
// Identity: principals of different kinds (a citizen, an enterprise, staff, a kiosk, an anonymous
// QR rater) never share an identity. Every subject is namespaced by its kind ("citizen:wx-…",
// "staff:clerk-zb-a01"), the token carries the kind, and every check of "is this the requester,
// the assignee, the owner" compares the whole namespaced subject. docs/security.md has the model.
package auth

import (
	"regexp"
	"slices"
	"strings"

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

// StaffRoles are the roles of staff accounts.
var StaffRoles = []Role{Helper, Clerk, UnitAdmin, HallAdmin, CityAdmin}

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Staff reports whether r is a role of staff.
func (r Role) Staff() bool { return slices.Contains(StaffRoles, r) }

// Kind is the sort of principal. The kind is the first part of every subject.
type Kind string

// The kinds of principal. Only citizens, enterprises and staff carry tokens; a kiosk signs its
// requests with its own secret and a QR rater is anonymous.
const (
	KindCitizen    Kind = "citizen"    // a mini-program user, by a pseudonym of the WeChat identity
	KindEnterprise Kind = "enterprise" // an enterprise's mini-program account
	KindStaff      Kind = "staff"      // a staff account of the directory, by its staff id
	KindKiosk      Kind = "kiosk"      // a rating kiosk, by its kiosk id
	KindQR         Kind = "qr"         // an anonymous rater through a window's QR code
)

// KindOf is the kind of principal that holds role r.
func KindOf(r Role) Kind {
	switch {
	case r == Citizen:
		return KindCitizen
	case r == Enterprise:
		return KindEnterprise
	case r.Staff():
		return KindStaff
	}
	return ""
}

// SubjectOf is the namespaced subject of the principal id of kind k.
func SubjectOf(k Kind, id string) string { return string(k) + ":" + id }

// StaffSubject is the subject of the staff member id.
func StaffSubject(id string) string { return SubjectOf(KindStaff, id) }

// Claim names carried by banban tokens.
const (
	ClaimSubject = "sub"
	ClaimKind    = "kind"
	ClaimRole    = "role"
	ClaimUnit    = "unit"
	ClaimHall    = "hall"
	ClaimWindow  = "window"
)

// Principal is an authenticated caller.
type Principal struct {
	Kind     Kind
	Subject  string // "<kind>:<id>", unique across kinds
	Role     Role
	UnitID   string // set for unit staff and unit administrators
	HallID   string // set for hall staff and hall administrators
	WindowID string // set for window clerks
}

// ID is the subject within its kind: the staff id of a staff member, the pseudonym of a citizen.
func (p Principal) ID() string { return strings.TrimPrefix(p.Subject, string(p.Kind)+":") }

// Is reports whether p is the principal a stored subject names. The whole namespaced subject is
// compared, so a staff account can never pass for a citizen whose pseudonym it copies.
func (p Principal) Is(subject string) bool { return subject != "" && subject == p.Subject }

// IsStaff reports whether p is the staff member with staff id id.
func (p Principal) IsStaff(id string) bool {
	return id != "" && p.Kind == KindStaff && p.Subject == StaffSubject(id)
}

// IsHelper reports whether p is the helper with staff id id.
func (p Principal) IsHelper(id string) bool { return p.Role == Helper && p.IsStaff(id) }

// MiniProgramUser reports whether p signs in through a mini-program (a citizen or an enterprise).
func (p Principal) MiniProgramUser() bool { return p.Kind == KindCitizen || p.Kind == KindEnterprise }

// Claims are the token claims of p (empty values left out), as the token issuer writes them and
// API Gateway passes them on.
func (p Principal) Claims() map[string]string {
	out := map[string]string{}
	for k, v := range map[string]string{ClaimSubject: p.Subject, ClaimKind: string(p.Kind), ClaimRole: string(p.Role),
		ClaimUnit: p.UnitID, ClaimHall: p.HallID, ClaimWindow: p.WindowID} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// NewCitizen is the principal of a mini-program user by the pseudonym of the WeChat identity.
func NewCitizen(pseudonym string) Principal {
	return Principal{Kind: KindCitizen, Subject: SubjectOf(KindCitizen, pseudonym), Role: Citizen}
}

// NewStaff is the principal of a staff account with its role and scope.
func NewStaff(id string, role Role, unit, hall, window string) Principal {
	return Principal{Kind: KindStaff, Subject: StaffSubject(id), Role: role, UnitID: unit, HallID: hall, WindowID: window}
}

var (
	staffIDPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	pseudonymPrefix = "wx-"
	// Ids of mini-program users: the pseudonym of a WeChat identity (see session-api), or another
	// opaque id of letters, digits, dashes and underscores.
	userIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)
)

// ValidStaffID reports whether id may name a staff account: a directory id (lower-case letters,
// digits and dashes) that cannot take the form of a mini-program user's pseudonym ("wx-…").
func ValidStaffID(id string) bool {
	return staffIDPattern.MatchString(id) && !strings.HasPrefix(id, pseudonymPrefix)
}

// FromClaims builds a Principal from claims already verified by the authorizer. The subject,
// the kind and the role must agree: a token whose subject is of one kind and whose kind or role
// claim is of another is refused.
func FromClaims(claims map[string]string) (Principal, error) {
	p := Principal{
		Kind:     Kind(claims[ClaimKind]),
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
	kind, id, ok := strings.Cut(p.Subject, ":")
	valid := ok && Kind(kind) == p.Kind && KindOf(p.Role) == p.Kind
	switch p.Kind {
	case KindStaff:
		valid = valid && ValidStaffID(id)
	case KindCitizen, KindEnterprise:
		valid = valid && userIDPattern.MatchString(id) && p.UnitID == "" && p.HallID == "" && p.WindowID == ""
	default:
		valid = false
	}
	if !valid {
		return Principal{}, apperr.New(apperr.Unauthenticated, "invalid_subject", "the token's subject, kind and role do not agree")
	}
	return p, nil
}

// WindowScope is where a service window belongs.
type WindowScope struct {
	WindowID string
	HallID   string
	UnitID   string
}

// Target is the window as a target of access policies.
func (w WindowScope) Target() Target {
	return Target{Halls: []string{w.HallID}, Units: []string{w.UnitID}, Windows: []string{w.WindowID}}
}

// CanAdministerWindow reports whether p administers the window: the city administration, the
// window's hall administrator and its unit's administrator.
func (p Principal) CanAdministerWindow(w WindowScope) bool {
	return Allow(map[Role][]Reach{CityAdmin: {All}, HallAdmin: {Hall}, UnitAdmin: {Unit}}).Reaches(p, w.Target())
}
