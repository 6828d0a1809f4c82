package opengov

import (
	"fmt"
	"regexp"

	"banban/shared/geo"
)

// PlaceType is one of the 18 kinds of service information on the city service map.
type PlaceType string

// PlaceTypes lists the 18 types of the map with their Chinese names, in display order.
var PlaceTypes = []struct {
	Type PlaceType `json:"type"`
	Name string    `json:"name"`
}{
	{"gov_hall", "政务服务中心"},
	{"town_center", "镇（街道）便民服务中心"},
	{"community_station", "村（社区）便民服务站"},
	{"enterprise_lounge", "企业服务驿站"},
	{"tax_point", "乡镇税务服务点"},
	{"tax_hall", "税务办税服务厅"},
	{"bank_steward", "“齐好办·金融管家”工作室"},
	{"mobile_van_stop", "政务服务直通车停靠点"},
	{"self_service", "24小时自助服务区"},
	{"social_security", "社保经办服务网点"},
	{"medical_insurance", "医保经办服务网点"},
	{"housing_fund", "住房公积金服务网点"},
	{"real_estate", "不动产登记服务点"},
	{"police_service", "公安户政出入境服务点"},
	{"vehicle_service", "车驾管服务站"},
	{"legal_service", "公共法律服务站"},
	{"marriage_registry", "婚姻登记处"},
	{"park_service", "园区项目帮办服务站"},
}

// ParsePlaceType accepts one of the 18 types.
func ParsePlaceType(s string) (PlaceType, error) {
	for _, t := range PlaceTypes {
		if string(t.Type) == s {
			return t.Type, nil
		}
	}
	return "", fmt.Errorf("place type %q is not one of the 18 types of the map", s)
}

// Name is the Chinese name of the type.
func (t PlaceType) Name() string {
	for _, pt := range PlaceTypes {
		if pt.Type == t {
			return pt.Name
		}
	}
	return ""
}

// Place is one entry of the city service map. Location is GCJ-02, as Chinese map SDKs and
// mini-programs draw and report positions.
type Place struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Type      PlaceType `json:"type"`
	District  string    `json:"district"`
	Address   string    `json:"address"`
	Phone     string    `json:"phone,omitempty"`
	Hours     string    `json:"hours"`
	Location  geo.Point `json:"location"`
	Services  []string  `json:"services,omitempty"`
	Timetable []Visit   `json:"timetable,omitempty"` // mobile-van stops: when the van is there
}

// Visit is one weekly stop of a mobile service van (政务服务直通车) at a place.
type Visit struct {
	Weekday int    `json:"weekday"` // 1 Monday … 7 Sunday
	From    string `json:"from"`    // HH:MM, Asia/Shanghai
	To      string `json:"to"`
}

var hhmm = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// Problems lists what is wrong with the place, field by field.
func (pl Place) Problems() []Problem {
	var p problems
	p.id("id", pl.ID)
	p.text("name", pl.Name, true, 100)
	if _, err := ParsePlaceType(string(pl.Type)); err != nil {
		p.add("type", "%v", err)
	}
	p.district("district", pl.District)
	p.text("address", pl.Address, true, 150)
	p.text("phone", pl.Phone, false, 40)
	p.text("hours", pl.Hours, true, 100)
	// Zibo lies within lat 35.9–37.4, lng 117.5–118.6; a point far outside is a swapped or
	// mistyped coordinate, the commonest error of office spreadsheets.
	if !pl.Location.Valid() || pl.Location.Lat < 35.5 || pl.Location.Lat > 37.8 || pl.Location.Lng < 117.2 || pl.Location.Lng > 119 {
		p.add("location", "(%.6f, %.6f) is not in Zibo", pl.Location.Lat, pl.Location.Lng)
	}
	if len(pl.Services) > 50 {
		p.add("services", "must list at most 50 services")
	}
	for i, s := range pl.Services {
		p.text(fmt.Sprintf("services[%d]", i), s, true, 60)
	}
	if pl.Type == "mobile_van_stop" && len(pl.Timetable) == 0 {
		p.add("timetable", "a mobile-van stop needs its timetable")
	}
	for i, v := range pl.Timetable {
		if v.Weekday < 1 || v.Weekday > 7 || !hhmm.MatchString(v.From) || !hhmm.MatchString(v.To) || v.From >= v.To {
			p.add(fmt.Sprintf("timetable[%d]", i), "needs a weekday 1–7 and HH:MM from before to")
		}
	}
	return p
}

// CheckPlaces checks a whole set: every place valid, ids unique.
func CheckPlaces(ps []Place) error {
	return checkAll(ps, func(p Place) string { return p.ID }, Place.Problems)
}

// Map is a checked set of places indexed for nearest-first queries.
type Map struct {
	places []Place
	all    *geo.Grid
	byType map[PlaceType]typeGrid // a rare type is found without scanning the common ones
}

type typeGrid struct {
	grid  *geo.Grid
	index []int // grid point → place
}

// NewMap indexes a set of places (checked by CheckPlaces).
func NewMap(ps []Place) *Map {
	m := &Map{places: ps, byType: map[PlaceType]typeGrid{}}
	// Distances are true on WGS-84 positions, converted once here rather than per query.
	wgs := make([]geo.Point, len(ps))
	typed := map[PlaceType][]int{}
	for i, p := range ps {
		wgs[i] = geo.ToWGS84(p.Location)
		typed[p.Type] = append(typed[p.Type], i)
	}
	m.all = geo.NewGrid(wgs)
	for t, idx := range typed {
		pts := make([]geo.Point, len(idx))
		for j, i := range idx {
			pts[j] = wgs[i]
		}
		m.byType[t] = typeGrid{grid: geo.NewGrid(pts), index: idx}
	}
	return m
}

// Len is the number of places.
func (m *Map) Len() int { return len(m.places) }

// Nearby is a place found near a point, with its distance in metres.
type Nearby struct {
	Place    Place
	Distance float64
}

// Nearest returns up to limit places of type t ("" for all) within radius metres of at, nearest
// first; at is in the coordinate system sys.
func (m *Map) Nearest(at geo.Point, sys geo.System, t PlaceType, radius float64, limit int) []Nearby {
	center := geo.Convert(at, sys, geo.WGS84)
	if t == "" {
		hits := m.all.Nearest(center, radius, limit, nil)
		out := make([]Nearby, len(hits))
		for i, h := range hits {
			out[i] = Nearby{Place: m.places[h.Index], Distance: h.Distance}
		}
		return out
	}
	tg, ok := m.byType[t]
	if !ok {
		return []Nearby{}
	}
	hits := tg.grid.Nearest(center, radius, limit, nil)
	out := make([]Nearby, len(hits))
	for i, h := range hits {
		out[i] = Nearby{Place: m.places[tg.index[h.Index]], Distance: h.Distance}
	}
	return out
}
