package cases

import (
	"testing"

	"banban/shared/apperr"
	"banban/shared/catalog"
	"banban/shared/directory"
)

func goodRequest() Request {
	return Request{
		RequesterKind: Person, Name: "张三", IDNumber: "370303199001010017", Mobile: "13800138000",
		Matters: []string{"m1"}, District: "zichuan", Channel: MiniProgram,
	}
}

func TestCheckNamesTheBadField(t *testing.T) {
	if err := goodRequest().Check(now); err != nil {
		t.Fatal(err)
	}
	ent := goodRequest()
	ent.RequesterKind, ent.IDNumber, ent.CreditCode, ent.EnterpriseName = Enterprise, "", "91350100M000100Y43", "淄博某某机械有限公司"
	if err := ent.Check(now); err != nil {
		t.Fatalf("enterprise: %v", err)
	}
	tests := map[string]struct {
		mutate func(*Request)
		field  string
	}{
		"unknown kind":        {func(r *Request) { r.RequesterKind = "robot" }, "requesterKind"},
		"bad ID checksum":     {func(r *Request) { r.IDNumber = "370303199001010018" }, "idNumber"},
		"bad birth date":      {func(r *Request) { r.IDNumber = "110105194913310021" }, "idNumber"},
		"credit code for one": {func(r *Request) { r.CreditCode = "91350100M000100Y43" }, "creditCode"},
		"no name":             {func(r *Request) { r.Name = "  " }, "name"},
		"long name":           {func(r *Request) { r.Name = string(make([]rune, MaxName+1)) }, "name"},
		"control characters":  {func(r *Request) { r.Description = "a\x00b" }, "description"},
		"bad mobile":          {func(r *Request) { r.Mobile = "12345" }, "mobile"},
		"bad channel":         {func(r *Request) { r.Channel = "fax" }, "channel"},
		"unknown district":    {func(r *Request) { r.District = "beijing" }, "district"},
		"grid without grid":   {func(r *Request) { r.Channel = Grid }, "grid"},
		"bad grid":            {func(r *Request) { r.Grid = "Grid 7" }, "grid"},
		"bad priority":        {func(r *Request) { r.Priority = "vip" }, "priority"},
		"no matters":          {func(r *Request) { r.Matters = nil }, "matters"},
		"matters and bundle":  {func(r *Request) { r.Bundle = "b1" }, "bundle"},
		"matter twice":        {func(r *Request) { r.Matters = []string{"m1", "m1"} }, "matters"},
		"custody no address":  {func(r *Request) { r.Custody = &CustodyRequest{Recipient: "张三"} }, "custody.address"},
	}
	for name, tt := range tests {
		r := goodRequest()
		tt.mutate(&r)
		e, ok := apperr.As(r.Check(now))
		if !ok || e.Kind != apperr.Invalid || e.Field != tt.field {
			t.Errorf("%s: got %v, want field %s", name, e, tt.field)
		}
	}
	bad := ent
	bad.CreditCode = "91350100M000100Y44"
	if e, ok := apperr.As(bad.Check(now)); !ok || e.Field != "creditCode" {
		t.Errorf("bad credit code: %v", e)
	}
}

func TestClassify(t *testing.T) {
	cityA := catalog.Matter{Code: "a", UnitID: "u1", Level: directory.City}
	cityA2 := catalog.Matter{Code: "a2", UnitID: "u1", Level: directory.City}
	cityB := catalog.Matter{Code: "b", UnitID: "u2", Level: directory.City}
	district := catalog.Matter{Code: "d", UnitID: "u3", Level: directory.District}
	tests := []struct {
		receiving directory.Level
		matters   []catalog.Matter
		want      Mode
	}{
		{directory.City, []catalog.Matter{cityA}, Immediate},
		{directory.City, []catalog.Matter{cityA, cityA2}, Immediate}, // one unit, several matters
		{directory.District, []catalog.Matter{cityA}, Transfer},
		{directory.City, []catalog.Matter{district}, Transfer},
		{directory.City, []catalog.Matter{cityA, cityB}, Joint},
		{directory.District, []catalog.Matter{district, cityA}, Joint},
	}
	for i, tt := range tests {
		if got := Classify(tt.receiving, tt.matters); got != tt.want {
			t.Errorf("case %d: %s, want %s", i, got, tt.want)
		}
	}
}

func TestPlanChecksMaterialsAndTakesTheLongestTimeLimit(t *testing.T) {
	a := catalog.Matter{Code: "a", UnitID: "u1", Level: directory.City, TimeLimitDays: 5,
		Materials: []catalog.Material{{Code: "id-card", Name: "身份证", Required: true}}}
	b := catalog.Matter{Code: "b", UnitID: "u2", Level: directory.City, TimeLimitDays: 12}
	r := goodRequest()
	r.Matters, r.Materials = []string{"a", "b"}, []string{"id-card"}
	p, err := NewPlan(r, directory.City, []catalog.Matter{a, b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != Joint || p.TimeLimitDays != 12 || len(p.Units) != 2 {
		t.Errorf("plan %+v", p)
	}
	r.Materials = []string{"passport"}
	if e, ok := apperr.As(func() error { _, err := NewPlan(r, directory.City, []catalog.Matter{a, b}, nil); return err }()); !ok || e.Field != "materials" {
		t.Errorf("an unknown material: %v", e)
	}
	r.Materials, r.Attributes = nil, map[string]map[string]any{"zz": {"x": 1}}
	if e, ok := apperr.As(func() error { _, err := NewPlan(r, directory.City, []catalog.Matter{a, b}, nil); return err }()); !ok || e.Field != "attributes.zz" {
		t.Errorf("attributes of another matter: %v", e)
	}
	bundle := &catalog.Bundle{Code: "lift", Matters: []string{"a", "b"}, ParallelUnits: []string{"u1", "u2", "u4"}, TimeLimitDays: 20,
		Materials: []catalog.Material{{Code: "plan", Name: "加装电梯方案", Required: true}}}
	r = goodRequest()
	r.Matters, r.Bundle, r.Materials = nil, "lift", []string{"plan"}
	p, err = NewPlan(r, directory.District, []catalog.Matter{a, b}, bundle)
	if err != nil || p.TimeLimitDays != 20 || len(p.Units) != 3 || p.Mode != Joint {
		t.Errorf("bundle plan %+v, %v", p, err)
	}
}
