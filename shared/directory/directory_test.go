package directory

import (
	"encoding/json"

	"banban/shared/apperr"
	"os"
	"testing"
)

func TestDemoDirectoryIsConsistent(t *testing.T) {
	raw, err := os.ReadFile("../../data/demo/directory.json")
	if err != nil {
		t.Fatal(err)
	}
	var d Data
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	if len(d.Units) < 10 || len(d.Halls) < 3 || len(d.Windows) < 30 || len(d.Staff) < 10 {
		t.Errorf("demo directory too small: %d units, %d halls, %d windows, %d staff",
			len(d.Units), len(d.Halls), len(d.Windows), len(d.Staff))
	}
}

func TestCheckFindsBrokenReferences(t *testing.T) {
	d := Data{
		Units:   []Unit{{ID: "u1", Name: "单位", Level: City}},
		Halls:   []Hall{{ID: "h1", Name: "大厅", Level: City, District: "city"}},
		Windows: []Window{{ID: "w1", HallID: "h1", UnitID: "u2"}},
	}
	if d.Check() == nil {
		t.Error("a window of an unknown unit passed")
	}
	d.Windows[0].UnitID = "u1"
	d.Staff = []Staff{{ID: "s1", Name: "张三", Role: "clerk", WindowID: "w9"}}
	if d.Check() == nil {
		t.Error("a clerk of an unknown window passed")
	}
	d.Staff[0].WindowID = "w1"
	if d.Check() == nil {
		t.Error("a clerk without the unit and hall of the window passed")
	}
	d.Staff[0].UnitID, d.Staff[0].HallID = "u1", "h1"
	if err := d.Check(); err != nil {
		t.Error(err)
	}
	d.Staff = append(d.Staff, Staff{ID: "wx-0123456789abcdef0123456789abcdef", Name: "李四", Role: "helper", UnitID: "u1"})
	if d.Check() == nil {
		t.Error("a staff id in the form of a citizen's pseudonym passed")
	}
}

func TestPlaceChecksEveryFieldAgainstTheDirectory(t *testing.T) {
	u1, u2 := &Unit{ID: "u1"}, &Unit{ID: "u2"}
	h1 := &Hall{ID: "h1"}
	w1 := &Window{ID: "w1", HallID: "h1", UnitID: "u1"}
	tests := []struct {
		name  string
		st    Staff
		pl    Placement
		field string // "" when placed
		want  Staff
	}{
		{"clerk from its window", Staff{Role: "clerk", WindowID: "w1"}, Placement{Window: w1}, "",
			Staff{Role: "clerk", WindowID: "w1", UnitID: "u1", HallID: "h1"}},
		{"clerk without window", Staff{Role: "clerk", UnitID: "u1"}, Placement{Unit: u1}, "windowId", Staff{}},
		{"clerk of an unknown window", Staff{Role: "clerk", WindowID: "w9"}, Placement{}, "windowId", Staff{}},
		{"clerk of another unit's window", Staff{Role: "clerk", WindowID: "w1", UnitID: "u2"}, Placement{Window: w1, Unit: u2}, "unitId", Staff{}},
		{"clerk of another hall's window", Staff{Role: "clerk", WindowID: "w1", HallID: "h2"}, Placement{Window: w1}, "hallId", Staff{}},
		{"helper", Staff{Role: "helper", UnitID: "u1", HallID: "h1"}, Placement{Unit: u1, Hall: h1, UnitInHall: true}, "",
			Staff{Role: "helper", UnitID: "u1", HallID: "h1"}},
		{"helper in a hall without the unit", Staff{Role: "helper", UnitID: "u2", HallID: "h1"}, Placement{Unit: u2, Hall: h1}, "hallId", Staff{}},
		{"helper of an unknown unit", Staff{Role: "helper", UnitID: "u9"}, Placement{}, "unitId", Staff{}},
		{"helper of an unknown hall", Staff{Role: "helper", UnitID: "u1", HallID: "h9"}, Placement{Unit: u1}, "hallId", Staff{}},
		{"helper at a window", Staff{Role: "helper", UnitID: "u1", WindowID: "w1"}, Placement{Unit: u1, Window: w1}, "windowId", Staff{}},
		{"unit administrator with a hall", Staff{Role: "unit_admin", UnitID: "u1", HallID: "h1"}, Placement{Unit: u1, Hall: h1, UnitInHall: true}, "hallId", Staff{}},
		{"hall administrator with a unit", Staff{Role: "hall_admin", UnitID: "u1", HallID: "h1"}, Placement{Unit: u1, Hall: h1, UnitInHall: true}, "unitId", Staff{}},
		{"hall administrator", Staff{Role: "hall_admin", HallID: "h1"}, Placement{Hall: h1}, "", Staff{Role: "hall_admin", HallID: "h1"}},
	}
	for _, tt := range tests {
		got, err := tt.st.Place(tt.pl)
		e, _ := apperr.As(err)
		switch {
		case tt.field == "" && (err != nil || got != tt.want):
			t.Errorf("%s: got %+v, %v", tt.name, got, err)
		case tt.field != "" && (e == nil || e.Field != tt.field):
			t.Errorf("%s: got %v, want an error naming %s", tt.name, err, tt.field)
		}
	}
}
