package catalog

import (
	"encoding/json"
	"os"
	"testing"

	"banban/shared/apperr"
	"banban/shared/directory"
)

func load(t *testing.T) (Catalogue, directory.Data) {
	t.Helper()
	var c Catalogue
	var d directory.Data
	for path, v := range map[string]any{"../../data/catalog/catalog.json": &c, "../../data/demo/directory.json": &d} {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatal(err)
		}
	}
	return c, d
}

func TestTheCatalogueIsConsistentAndBigEnough(t *testing.T) {
	c, d := load(t)
	if err := c.Check(d); err != nil {
		t.Fatal(err)
	}
	units, domains, levels, types := map[string]bool{}, map[string]bool{}, map[directory.Level]bool{}, map[AttributeType]bool{}
	for _, m := range c.Matters {
		units[m.UnitID], domains[m.Domain], levels[m.Level] = true, true, true
		for _, a := range m.Attributes {
			types[a.Type] = true
		}
	}
	if len(c.Matters) < 60 || len(units) < 10 || len(levels) != 4 || len(types) != len(attrTypes) {
		t.Errorf("%d matters, %d units, %d levels, %d attribute types", len(c.Matters), len(units), len(levels), len(types))
	}
	for _, want := range []string{"agriculture", "tax", "enterprise", "construction", "social-security", "finance"} {
		if !domains[want] {
			t.Errorf("no %s matters", want)
		}
	}
	categories := map[string]int{}
	for _, b := range c.Bundles {
		categories[b.Category] = len(b.Materials)
	}
	if len(categories) != 3 || categories["building-renovation"] != 14 {
		t.Errorf("bundles %v (building renovation must cut 22 materials to 14)", categories)
	}
}

func TestValidateAttributes(t *testing.T) {
	m := Matter{Code: "T-1", Attributes: []Attribute{
		{Code: "name", Name: "名称", Type: String, Required: true, MaxLength: 5},
		{Code: "amount", Name: "金额", Type: Number},
		{Code: "at", Name: "时间", Type: Datetime},
		{Code: "kind", Name: "类型", Type: SingleValue, Values: []Choice{{"a", "甲"}, {"b", "乙"}}},
		{Code: "kinds", Name: "多选", Type: MultiValue, Values: []Choice{{"a", "甲"}, {"b", "乙"}}},
		{Code: "note", Name: "说明", Type: Text},
	}}
	ok := map[string]any{"name": "淄博", "amount": 12.5, "at": "2026-11-28T10:00:00+08:00", "kind": "a", "kinds": []any{"a", "b"}, "note": "x"}
	if err := m.ValidateAttributes(ok); err != nil {
		t.Fatal(err)
	}
	bad := map[string]map[string]any{
		"attributes.name":   {"kind": "a"},
		"attributes.extra":  {"name": "a", "extra": 1},
		"attributes.amount": {"name": "a", "amount": "12"},
		"attributes.at":     {"name": "a", "at": "2026-11-28 10:00"},
		"attributes.kind":   {"name": "a", "kind": "c"},
		"attributes.kinds":  {"name": "a", "kinds": []any{"a", "a"}},
	}
	bad["attributes.name"] = map[string]any{"name": "淄博市张店区"} // over MaxLength
	for field, values := range bad {
		e, isApp := apperr.As(m.ValidateAttributes(values))
		if !isApp || e.Field != field {
			t.Errorf("%v: got %v, want field %s", values, e, field)
		}
	}
	if e, _ := apperr.As(m.ValidateAttributes(map[string]any{})); e == nil || e.Field != "attributes.name" {
		t.Errorf("missing required: %v", e)
	}
}

func TestMissingMaterials(t *testing.T) {
	m := Matter{Materials: []Material{{Code: "id", Required: true}, {Code: "auth", Required: false}, {Code: "lic", Required: true}}}
	got := m.MissingMaterials([]string{"id"})
	if len(got) != 1 || got[0].Code != "lic" {
		t.Errorf("missing %v", got)
	}
}
