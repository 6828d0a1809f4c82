// Package directory describes the service halls: stationed units (派驻单位), halls (政务服务大厅),
// their service windows (窗口) and staff. Ratings, cases and reports all refer to these ids.
package directory

import (
	"fmt"
	"regexp"

	"banban/shared/auth"
)

// Level is the administrative level of a hall, unit or team.
type Level string

// The four levels of assisted handling.
const (
	City      Level = "city"      // 市级
	District  Level = "district"  // 区县
	Town      Level = "town"      // 镇街
	Community Level = "community" // 社区/网格
)

// Valid reports whether l is a known level.
func (l Level) Valid() bool {
	switch l {
	case City, District, Town, Community:
		return true
	}
	return false
}

// Unit is a department stationed in a hall (派驻单位), e.g. the market regulation bureau.
type Unit struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Level Level  `json:"level"`
}

// Hall is a government service hall.
type Hall struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Level    Level  `json:"level"`
	District string `json:"district"` // a key of Districts
}

// Window is a service window of a unit in a hall.
type Window struct {
	ID     string `json:"id"`
	HallID string `json:"hallId"`
	UnitID string `json:"unitId"`
	Number string `json:"number"` // the number shown above the window, e.g. "A12"
	Name   string `json:"name"`
}

// Scope is what the access policy needs to know about the window.
func (w Window) Scope() auth.WindowScope {
	return auth.WindowScope{WindowID: w.ID, HallID: w.HallID, UnitID: w.UnitID}
}

// Staff is a staff member who can sign in; the role and scope become the claims of the token.
type Staff struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Role     auth.Role `json:"role"`
	UnitID   string    `json:"unitId,omitempty"`
	HallID   string    `json:"hallId,omitempty"`
	WindowID string    `json:"windowId,omitempty"`
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidID reports whether id is a directory id: lower-case letters, digits and dashes.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Data is a whole directory, as kept in the demo data file.
type Data struct {
	Units   []Unit   `json:"units"`
	Halls   []Hall   `json:"halls"`
	Windows []Window `json:"windows"`
	Staff   []Staff  `json:"staff"`
}

// Check verifies every id is well formed and every reference points at a known record.
func (d Data) Check() error {
	units, halls, windows := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, u := range d.Units {
		if !ValidID(u.ID) || u.Name == "" || !u.Level.Valid() {
			return fmt.Errorf("unit %q: bad id, name or level", u.ID)
		}
		units[u.ID] = true
	}
	for _, h := range d.Halls {
		if _, ok := Districts[h.District]; !ValidID(h.ID) || h.Name == "" || !h.Level.Valid() || !ok {
			return fmt.Errorf("hall %q: bad id, name, level or district", h.ID)
		}
		halls[h.ID] = true
	}
	for _, w := range d.Windows {
		if !ValidID(w.ID) || !halls[w.HallID] || !units[w.UnitID] {
			return fmt.Errorf("window %q: bad id or unknown hall/unit", w.ID)
		}
		windows[w.ID] = true
	}
	for _, s := range d.Staff {
		switch {
		case !ValidID(s.ID) || s.Name == "" || !s.Role.Valid():
			return fmt.Errorf("staff %q: bad id, name or role", s.ID)
		case s.UnitID != "" && !units[s.UnitID], s.HallID != "" && !halls[s.HallID], s.WindowID != "" && !windows[s.WindowID]:
			return fmt.Errorf("staff %q: unknown unit, hall or window", s.ID)
		}
	}
	return nil
}
