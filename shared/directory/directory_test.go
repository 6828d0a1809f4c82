package directory

import (
	"encoding/json"
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
	if err := d.Check(); err != nil {
		t.Error(err)
	}
}
