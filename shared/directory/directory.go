// Package directory describes the service halls: stationed units (派驻单位), halls (政务服务大厅),
// their service windows (窗口) and staff. Ratings, cases and reports all refer to these ids.
package directory

import (
	"fmt"
	"regexp"

	"banban/shared/apperr"
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

// Target is the window as the target of a route: of its hall, its unit and itself.
func (w Window) Target() auth.Target { return w.Scope().Target() }

// Staff is a staff member who can sign in; the role and scope become the claims of the token.
type Staff struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Role     auth.Role `json:"role"`
	UnitID   string    `json:"unitId,omitempty"`
	HallID   string    `json:"hallId,omitempty"`
	WindowID string    `json:"windowId,omitempty"`
}

// Subject is the staff member's subject in tokens and stored references.
func (s Staff) Subject() string { return auth.StaffSubject(s.ID) }

// Target is the staff account as the target of a route. A clerk's or a helper's account belongs
// to its hall, unit and window, so their administrators reach it; an administrator's account
// belongs to no hall or unit, so only the city reaches it: no administrator manages a peer.
func (s Staff) Target() auth.Target {
	t := auth.Target{Owners: []string{s.Subject()}}
	if s.Role == auth.Clerk || s.Role == auth.Helper {
		t.Halls, t.Units, t.Windows = nonEmpty(s.HallID), nonEmpty(s.UnitID), nonEmpty(s.WindowID)
	}
	return t
}

func nonEmpty(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}
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
	units, halls, windows := map[string]*Unit{}, map[string]*Hall{}, map[string]*Window{}
	stationed := map[[2]string]bool{}
	for _, u := range d.Units {
		if !ValidID(u.ID) || u.Name == "" || !u.Level.Valid() {
			return fmt.Errorf("unit %q: bad id, name or level", u.ID)
		}
		units[u.ID] = &u
	}
	for _, h := range d.Halls {
		if _, ok := Districts[h.District]; !ValidID(h.ID) || h.Name == "" || !h.Level.Valid() || !ok {
			return fmt.Errorf("hall %q: bad id, name, level or district", h.ID)
		}
		halls[h.ID] = &h
	}
	for _, w := range d.Windows {
		if !ValidID(w.ID) || halls[w.HallID] == nil || units[w.UnitID] == nil {
			return fmt.Errorf("window %q: bad id or unknown hall/unit", w.ID)
		}
		windows[w.ID] = &w
		stationed[[2]string{w.UnitID, w.HallID}] = true
	}
	for _, s := range d.Staff {
		if !auth.ValidStaffID(s.ID) || s.Name == "" || !s.Role.Staff() {
			return fmt.Errorf("staff %q: bad id, name or role", s.ID)
		}
		pl := Placement{Unit: units[s.UnitID], Hall: halls[s.HallID], Window: windows[s.WindowID], UnitInHall: stationed[[2]string{s.UnitID, s.HallID}]}
		placed, err := s.Place(pl)
		if err != nil {
			return fmt.Errorf("staff %q: %w", s.ID, err)
		}
		if placed != s {
			return fmt.Errorf("staff %q: unit and hall must be those of window %s", s.ID, s.WindowID)
		}
	}
	return nil
}

// Placement is what the directory holds of the places a staff account names: each record as
// found (nil when it does not exist), and whether the unit is stationed in the hall (has a window
// there).
type Placement struct {
	Unit       *Unit
	Hall       *Hall
	Window     *Window
	UnitInHall bool
}

// Place checks the unit, hall and window of a staff account against the directory: each one
// the role needs is given and exists, none the role does not have is given, and they agree — the
// window is of that hall and unit, the unit is stationed in the hall. A clerk's unit and hall
// come from the window when not given. The field at fault is named.
func (s Staff) Place(pl Placement) (Staff, error) {
	need := map[auth.Role]struct{ unit, hall, window, noUnit, noHall, noWindow bool }{
		auth.Clerk:     {window: true},
		auth.Helper:    {unit: true, noWindow: true},
		auth.UnitAdmin: {unit: true, noHall: true, noWindow: true},
		auth.HallAdmin: {hall: true, noUnit: true, noWindow: true},
		auth.CityAdmin: {noHall: true, noWindow: true},
	}[s.Role]
	switch {
	case need.window && s.WindowID == "":
		return Staff{}, apperr.InvalidField("windowId", "is required for a %s", s.Role)
	case need.unit && s.UnitID == "":
		return Staff{}, apperr.InvalidField("unitId", "is required for a %s", s.Role)
	case need.hall && s.HallID == "":
		return Staff{}, apperr.InvalidField("hallId", "is required for a %s", s.Role)
	case need.noWindow && s.WindowID != "":
		return Staff{}, apperr.InvalidField("windowId", "is not given for a %s", s.Role)
	case need.noUnit && s.UnitID != "":
		return Staff{}, apperr.InvalidField("unitId", "is not given for a %s", s.Role)
	case need.noHall && s.HallID != "":
		return Staff{}, apperr.InvalidField("hallId", "is not given for a %s", s.Role)
	}
	if s.WindowID != "" {
		w := pl.Window
		switch {
		case w == nil:
			return Staff{}, apperr.InvalidField("windowId", "is not a window of the directory")
		case s.UnitID != "" && s.UnitID != w.UnitID:
			return Staff{}, apperr.InvalidField("unitId", "is not the unit of window %s", w.ID)
		case s.HallID != "" && s.HallID != w.HallID:
			return Staff{}, apperr.InvalidField("hallId", "is not the hall of window %s", w.ID)
		}
		s.UnitID, s.HallID = w.UnitID, w.HallID
		return s, nil
	}
	switch {
	case s.UnitID != "" && pl.Unit == nil:
		return Staff{}, apperr.InvalidField("unitId", "is not a unit of the directory")
	case s.HallID != "" && pl.Hall == nil:
		return Staff{}, apperr.InvalidField("hallId", "is not a hall of the directory")
	case s.UnitID != "" && s.HallID != "" && !pl.UnitInHall:
		return Staff{}, apperr.InvalidField("hallId", "unit %s has no window in hall %s", s.UnitID, s.HallID)
	}
	return s, nil
}
