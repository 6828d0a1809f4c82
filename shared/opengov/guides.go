package opengov

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"banban/shared/directory"
)

// Guide is the service guide (办事指南) of one matter (事项) as one unit handles it at one level.
type Guide struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`     // 事项名称
	Audience   Audience        `json:"audience"` // 服务对象
	UnitID     string          `json:"unitId"`
	UnitName   string          `json:"unitName"` // 实施主体
	Level      directory.Level `json:"level"`    // city, district or town
	District   string          `json:"district"` // 淄博市 for city-level matters
	Conditions []string        `json:"conditions"`
	Materials  []Material      `json:"materials"`
	Steps      []string        `json:"steps"`
	TimeLimit  TimeLimit       `json:"timeLimit"`
	Fee        Fee             `json:"fee"`
	Locations  []Location      `json:"locations"`
	Online     Online          `json:"online"`
	Basis      []string        `json:"basis"` // 设定依据
	Phone      string          `json:"phone"` // 咨询电话
}

// Audience is who the matter serves.
type Audience string

// The audiences of a matter.
const (
	Person     Audience = "person"     // 自然人
	Enterprise Audience = "enterprise" // 法人
	Both       Audience = "both"
)

// Material is one document the applicant brings (申请材料).
type Material struct {
	Name string `json:"name"`
	Spec string `json:"spec"` // 原件1份、复印件1份, 电子证照可免提交, …
}

// TimeLimit is the statutory limit (法定办结时限) and the limit the hall promises (承诺办结时限),
// in working days; 0 promised days means the matter is done on the spot (即办件).
type TimeLimit struct {
	LegalDays    int    `json:"legalDays"`
	PromisedDays int    `json:"promisedDays"`
	Note         string `json:"note,omitempty"`
}

// Fee says whether the matter is charged and on what basis.
type Fee struct {
	Charged     bool   `json:"charged"`
	Description string `json:"description"`
}

// Location is where to go (办理地点).
type Location struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Hours   string `json:"hours"`
	Phone   string `json:"phone,omitempty"`
}

// Online is how to apply without coming (网上办理).
type Online struct {
	URL      string   `json:"url,omitempty"`
	Channels []string `json:"channels,omitempty"` // 爱山东APP, 山东政务服务网, …
}

// Problems lists what is wrong with the guide, field by field.
func (g Guide) Problems() []Problem {
	var p problems
	p.id("id", g.ID)
	p.text("name", g.Name, true, 100)
	if g.Audience != Person && g.Audience != Enterprise && g.Audience != Both {
		p.add("audience", "must be person, enterprise or both")
	}
	p.id("unitId", g.UnitID)
	p.text("unitName", g.UnitName, true, 60)
	p.level("level", g.Level)
	p.district("district", g.District)
	if (g.Level == directory.City) != (g.District == "淄博市") {
		p.add("district", "city-level matters are 淄博市, others a district")
	}
	list := func(field string, items []string, min, max, each int) {
		if len(items) < min || len(items) > max {
			p.add(field, "must list %d to %d items", min, max)
		}
		for i, s := range items {
			p.text(fmt.Sprintf("%s[%d]", field, i), s, true, each)
		}
	}
	list("conditions", g.Conditions, 1, 20, 300)
	list("steps", g.Steps, 1, 20, 200)
	list("basis", g.Basis, 1, 10, 200)
	if len(g.Materials) == 0 || len(g.Materials) > 40 {
		p.add("materials", "must list 1 to 40 materials")
	}
	for i, m := range g.Materials {
		p.text(fmt.Sprintf("materials[%d].name", i), m.Name, true, 100)
		p.text(fmt.Sprintf("materials[%d].spec", i), m.Spec, true, 100)
	}
	if g.TimeLimit.LegalDays < 0 || g.TimeLimit.LegalDays > 365 || g.TimeLimit.PromisedDays < 0 ||
		g.TimeLimit.PromisedDays > g.TimeLimit.LegalDays && g.TimeLimit.LegalDays > 0 {
		p.add("timeLimit", "days must be 0–365 and the promised limit within the legal one")
	}
	p.text("timeLimit.note", g.TimeLimit.Note, false, 200)
	p.text("fee.description", g.Fee.Description, true, 200)
	if len(g.Locations) == 0 || len(g.Locations) > 20 {
		p.add("locations", "must list 1 to 20 places")
	}
	for i, l := range g.Locations {
		p.text(fmt.Sprintf("locations[%d].name", i), l.Name, true, 100)
		p.text(fmt.Sprintf("locations[%d].address", i), l.Address, true, 150)
		p.text(fmt.Sprintf("locations[%d].hours", i), l.Hours, true, 100)
		p.text(fmt.Sprintf("locations[%d].phone", i), l.Phone, false, 40)
	}
	if g.Online.URL != "" {
		if u, err := url.Parse(g.Online.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			p.add("online.url", "must be an http(s) URL")
		}
	}
	for i, c := range g.Online.Channels {
		p.text(fmt.Sprintf("online.channels[%d]", i), c, true, 40)
	}
	p.text("phone", g.Phone, true, 40)
	return p
}

// CheckGuides checks a whole set: every guide valid, ids unique.
func CheckGuides(gs []Guide) error {
	return checkAll(gs, func(g Guide) string { return g.ID }, Guide.Problems)
}

// GuideSummary is a guide in a list.
type GuideSummary struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Audience     Audience        `json:"audience"`
	UnitID       string          `json:"unitId"`
	UnitName     string          `json:"unitName"`
	Level        directory.Level `json:"level"`
	District     string          `json:"district"`
	PromisedDays int             `json:"promisedDays"`
	Charged      bool            `json:"charged"`
	Online       bool            `json:"online"`
}

// Summary is the list entry of g.
func (g Guide) Summary() GuideSummary {
	return GuideSummary{ID: g.ID, Name: g.Name, Audience: g.Audience, UnitID: g.UnitID, UnitName: g.UnitName, Level: g.Level,
		District: g.District, PromisedDays: g.TimeLimit.PromisedDays, Charged: g.Fee.Charged, Online: g.Online.URL != "" || len(g.Online.Channels) > 0}
}

// Catalogue is a checked set of guides, queried in memory.
type Catalogue struct {
	guides []Guide
	byID   map[string]int
	text   []string // the normalised searchable text of each guide
}

// NewCatalogue indexes a set of guides (checked by CheckGuides), ordered by level then name.
func NewCatalogue(gs []Guide) *Catalogue {
	gs = slices.Clone(gs)
	order := map[directory.Level]int{directory.City: 0, directory.District: 1, directory.Town: 2}
	slices.SortStableFunc(gs, func(a, b Guide) int {
		if c := order[a.Level] - order[b.Level]; c != 0 {
			return c
		}
		if c := strings.Compare(a.District, b.District); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	c := &Catalogue{guides: gs, byID: make(map[string]int, len(gs)), text: make([]string, len(gs))}
	for i, g := range gs {
		c.byID[g.ID] = i
		c.text[i] = Normalize(g.Name + " " + g.UnitName + " " + g.District)
	}
	return c
}

// Len is the number of guides.
func (c *Catalogue) Len() int { return len(c.guides) }

// Guide returns a guide by id.
func (c *Catalogue) Guide(id string) (Guide, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Guide{}, false
	}
	return c.guides[i], true
}

// GuideFilter selects guides: every word of Query (after synonym normalisation) in the name, unit
// or district; the unit; the level. Empty fields select everything.
type GuideFilter struct {
	Query  string
	UnitID string
	Level  directory.Level
}

// Find returns the number of guides the filter selects and the page [offset, offset+limit).
func (c *Catalogue) Find(f GuideFilter, offset, limit int) (int, []GuideSummary) {
	words := strings.Fields(Normalize(f.Query))
	total := 0
	page := []GuideSummary{}
	for i, g := range c.guides {
		if (f.UnitID != "" && g.UnitID != f.UnitID) || (f.Level != "" && g.Level != f.Level) {
			continue
		}
		if !containsAll(c.text[i], words) {
			continue
		}
		if total >= offset && len(page) < limit {
			page = append(page, g.Summary())
		}
		total++
	}
	return total, page
}

func containsAll(text string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}
