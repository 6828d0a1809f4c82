package auth

import (
	"testing"

	"banban/shared/apperr"
)

func TestCanReadWindowFigures(t *testing.T) {
	w := WindowScope{WindowID: "w1", HallID: "h1", UnitID: "u1"}
	tests := []struct {
		p    Principal
		want bool
	}{
		{Principal{Role: CityAdmin}, true},
		{Principal{Role: HallAdmin, HallID: "h1"}, true},
		{Principal{Role: HallAdmin, HallID: "h2"}, false},
		{Principal{Role: HallAdmin}, false},
		{Principal{Role: UnitAdmin, UnitID: "u1"}, true},
		{Principal{Role: UnitAdmin, UnitID: "u2"}, false},
		{Principal{Role: Clerk, WindowID: "w1", UnitID: "u1"}, true},
		{Principal{Role: Clerk, WindowID: "w2", UnitID: "u1"}, false},
		{Principal{Role: Helper, UnitID: "u1", HallID: "h1"}, false},
		{Principal{Role: Citizen}, false},
		{Principal{Role: Enterprise}, false},
	}
	for _, tt := range tests {
		if got := tt.p.CanReadWindowFigures(w); got != tt.want {
			t.Errorf("%+v: got %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestFromClaims(t *testing.T) {
	if _, err := FromClaims(map[string]string{"role": "city_admin"}); apperr.KindOf(err) != apperr.Unauthenticated {
		t.Errorf("no subject: %v", err)
	}
	if _, err := FromClaims(map[string]string{"sub": "x", "role": "root"}); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("unknown role: %v", err)
	}
	p, err := FromClaims(map[string]string{"sub": "x", "role": "clerk", "window": "w1", "hall": "h1", "unit": "u1"})
	if err != nil || p != (Principal{Subject: "x", Role: Clerk, WindowID: "w1", HallID: "h1", UnitID: "u1"}) {
		t.Errorf("got %+v, %v", p, err)
	}
}
