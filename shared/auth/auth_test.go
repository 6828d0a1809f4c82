package auth

import (
	"testing"

	"banban/shared/apperr"
)

func TestFromClaimsNeedsSubjectKindAndRoleToAgree(t *testing.T) {
	alice := NewCitizen("wx-0123456789abcdef0123456789abcdef")
	clerk := NewStaff("clerk-1", Clerk, "u1", "h1", "w1")
	for _, p := range []Principal{alice, clerk, NewStaff("c1", CityAdmin, "", "", "")} {
		got, err := FromClaims(p.Claims())
		if err != nil || got != p {
			t.Errorf("%+v: got %+v, %v", p, got, err)
		}
	}
	if clerk.ID() != "clerk-1" || alice.ID() != "wx-0123456789abcdef0123456789abcdef" {
		t.Errorf("ids %q %q", clerk.ID(), alice.ID())
	}
	refused := map[string]map[string]string{
		"no subject":                   {"kind": "staff", "role": "city_admin"},
		"no kind":                      {"sub": "staff:c1", "role": "city_admin"},
		"bare subject":                 {"sub": "c1", "kind": "staff", "role": "city_admin"},
		"staff role, citizen subject":  {"sub": "citizen:wx-0123", "kind": "citizen", "role": "unit_admin", "unit": "u1"},
		"staff kind, citizen subject":  {"sub": "citizen:wx-0123", "kind": "staff", "role": "unit_admin"},
		"citizen kind, staff subject":  {"sub": "staff:c1", "kind": "citizen", "role": "citizen"},
		"staff id in pseudonym form":   {"sub": "staff:wx-0123456789abcdef0123456789abcdef", "kind": "staff", "role": "helper"},
		"kiosk kind":                   {"sub": "kiosk:k1", "kind": "kiosk", "role": "clerk"},
		"citizen with a scope":         {"sub": "citizen:wx-1", "kind": "citizen", "role": "citizen", "unit": "u1"},
		"enterprise as citizen":        {"sub": "enterprise:e1", "kind": "enterprise", "role": "citizen"},
		"empty staff id":               {"sub": "staff:", "kind": "staff", "role": "clerk"},
		"upper-case staff id":          {"sub": "staff:Clerk", "kind": "staff", "role": "clerk"},
		"subject with another section": {"sub": "staff:c1:x", "kind": "staff", "role": "clerk"},
	}
	for name, claims := range refused {
		if _, err := FromClaims(claims); err == nil {
			t.Errorf("%s: accepted %v", name, claims)
		}
	}
	if _, err := FromClaims(map[string]string{"sub": "staff:x", "kind": "staff", "role": "root"}); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("unknown role: %v", err)
	}
}

func TestSubjectsOfDifferentKindsNeverMatch(t *testing.T) {
	pseudonym := "wx-0123456789abcdef0123456789abcdef"
	citizen := NewCitizen(pseudonym)
	enterprise := Principal{Kind: KindEnterprise, Subject: SubjectOf(KindEnterprise, pseudonym), Role: Enterprise}
	staff := NewStaff("0123456789abcdef0123456789abcdef", Helper, "u1", "h1", "")
	if enterprise.Is(citizen.Subject) || staff.Is(citizen.Subject) || citizen.IsStaff(pseudonym) || citizen.IsHelper(pseudonym) {
		t.Error("a principal passed for another kind's")
	}
	if !staff.IsHelper("0123456789abcdef0123456789abcdef") || !citizen.Is(citizen.Subject) || citizen.Is("") {
		t.Error("a principal is not itself")
	}
	if ValidStaffID(pseudonym) || !ValidStaffID("helper-zb-01") {
		t.Error("staff ids: a pseudonym's form must be refused, a directory id accepted")
	}
}

func TestPolicyReachesAndRefuses(t *testing.T) {
	pol := Allow(map[Role][]Reach{CityAdmin: {All}, HallAdmin: {Hall}, UnitAdmin: {Unit}, Clerk: {Window},
		Helper: {Own, Part}})
	if err := pol.Validate(); err != nil {
		t.Fatal(err)
	}
	w := Target{Halls: []string{"h1"}, Units: []string{"u1"}, Windows: []string{"w1"}, Parts: []string{"u2"},
		Owners: []string{StaffSubject("helper-1")}}
	tests := []struct {
		p    Principal
		want apperr.Kind // Internal (the zero kind) means allowed
	}{
		{NewStaff("c", CityAdmin, "", "", ""), 0},
		{NewStaff("h", HallAdmin, "", "h1", ""), 0},
		{NewStaff("h", HallAdmin, "", "h2", ""), apperr.NotFound},
		{NewStaff("h", HallAdmin, "", "", ""), apperr.NotFound},
		{NewStaff("u", UnitAdmin, "u1", "", ""), 0},
		{NewStaff("u", UnitAdmin, "u2", "", ""), apperr.NotFound},
		{NewStaff("k", Clerk, "u1", "h1", "w1"), 0},
		{NewStaff("k", Clerk, "u1", "h1", "w2"), apperr.NotFound},
		{NewStaff("helper-1", Helper, "u9", "h9", ""), 0},
		{NewStaff("helper-2", Helper, "u2", "h9", ""), 0},
		{NewStaff("helper-3", Helper, "u1", "h1", ""), apperr.NotFound},
		{NewCitizen("wx-1"), apperr.Forbidden},
	}
	for _, tt := range tests {
		err := pol.Check(tt.p, w, "window")
		switch {
		case tt.want == 0 && err != nil:
			t.Errorf("%+v: refused: %v", tt.p, err)
		case tt.want != 0 && apperr.KindOf(err) != tt.want:
			t.Errorf("%+v: got %v, want kind %d", tt.p, err, tt.want)
		}
	}
	if err := pol.Check(NewStaff("h", HallAdmin, "", "h2", ""), w, "window"); err.Error() != "not_found: window not found" {
		t.Errorf("out of reach answers %v", err)
	}
}

func TestPolicyValidateFindsUnenforceablePolicies(t *testing.T) {
	bad := []Policy{
		{},
		{Access: Token},
		{Access: Token, Roles: map[Role][]Reach{CityAdmin: {}}},
		{Access: Token, Roles: map[Role][]Reach{"root": {All}}},
		{Access: Token, Roles: map[Role][]Reach{CityAdmin: {"everything"}}},
		{Access: Public, Roles: map[Role][]Reach{CityAdmin: {All}}},
	}
	for _, pol := range bad {
		if pol.Validate() == nil {
			t.Errorf("%+v passed", pol)
		}
	}
	for _, pol := range []Policy{PublicPolicy(), KioskPolicy(), Allow(map[Role][]Reach{CityAdmin: {All}})} {
		if err := pol.Validate(); err != nil {
			t.Errorf("%+v: %v", pol, err)
		}
	}
	if s := Allow(map[Role][]Reach{UnitAdmin: {Unit}, CityAdmin: {All}}).String(); s != "token city_admin:all unit_admin:unit" {
		t.Errorf("String %q", s)
	}
}
