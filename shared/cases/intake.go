package cases

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"banban/shared/apperr"
	"banban/shared/catalog"
	"banban/shared/directory"
	"banban/shared/idcode"
)

// Request is the body of POST /v1/cases.
type Request struct {
	RequesterKind  RequesterKind             `json:"requesterKind"`
	Name           string                    `json:"name"`
	IDNumber       string                    `json:"idNumber,omitempty"`
	CreditCode     string                    `json:"creditCode,omitempty"`
	EnterpriseName string                    `json:"enterpriseName,omitempty"`
	Mobile         string                    `json:"mobile"`
	Matters        []string                  `json:"matters,omitempty"`
	Bundle         string                    `json:"bundle,omitempty"`
	Attributes     map[string]map[string]any `json:"attributes,omitempty"`
	Materials      []string                  `json:"materials,omitempty"`
	Description    string                    `json:"description,omitempty"`
	District       string                    `json:"district"`
	Grid           string                    `json:"grid,omitempty"`
	HallID         string                    `json:"hallId,omitempty"`
	Channel        Channel                   `json:"channel"`
	Priority       string                    `json:"priority,omitempty"` // elderly, disabled, enterprise-project
	Custody        *CustodyRequest           `json:"custody,omitempty"`
}

// CustodyRequest asks for full custody (全托管) with delivery of the certificate.
type CustodyRequest struct {
	Recipient string `json:"recipient"`
	Address   string `json:"address"`
}

// Limits of free text, in characters.
const (
	MaxName        = 50
	MaxDescription = 2000
	MaxAddress     = 200
	MaxMatters     = 20
)

// Priorities a case may carry.
var Priorities = []string{"elderly", "disabled", "enterprise-project"}

var gridPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// Check validates the request's own fields (identifiers, text, channel, district); the matters are
// checked against the catalogue by Plan.
func (r Request) Check(now time.Time) error {
	switch r.RequesterKind {
	case Person:
		if err := idcode.ResidentID(r.IDNumber, now); err != nil {
			return apperr.InvalidField("idNumber", "%s", err.Error())
		}
		if r.CreditCode != "" || r.EnterpriseName != "" {
			return apperr.InvalidField("creditCode", "is given only for an enterprise requester")
		}
	case Enterprise:
		if err := idcode.CreditCode(r.CreditCode); err != nil {
			return apperr.InvalidField("creditCode", "%s", err.Error())
		}
		if err := text("enterpriseName", r.EnterpriseName, 100, true); err != nil {
			return err
		}
		// The agent's ID number is optional for an enterprise, checked when given.
		if r.IDNumber != "" {
			if err := idcode.ResidentID(r.IDNumber, now); err != nil {
				return apperr.InvalidField("idNumber", "%s", err.Error())
			}
		}
	default:
		return apperr.InvalidField("requesterKind", "must be person or enterprise")
	}
	if err := text("name", r.Name, MaxName, true); err != nil {
		return err
	}
	if _, err := idcode.Mobile(r.Mobile); err != nil {
		return apperr.InvalidField("mobile", "%s", err.Error())
	}
	if err := text("description", r.Description, MaxDescription, false); err != nil {
		return err
	}
	if !r.Channel.Valid() {
		return apperr.InvalidField("channel", "must be one of %v", Channels)
	}
	if _, ok := directory.Districts[r.District]; !ok {
		return apperr.InvalidField("district", "is not a district of the city")
	}
	if r.Grid != "" && !gridPattern.MatchString(r.Grid) {
		return apperr.InvalidField("grid", "must be a grid id of lower-case letters, digits and dashes")
	}
	if r.Channel == Grid && r.Grid == "" {
		return apperr.InvalidField("grid", "is required for a request from a grid worker")
	}
	if r.Priority != "" && !slices.Contains(Priorities, r.Priority) {
		return apperr.InvalidField("priority", "must be one of %v", Priorities)
	}
	if r.Custody != nil {
		if err := text("custody.recipient", r.Custody.Recipient, MaxName, true); err != nil {
			return err
		}
		if err := text("custody.address", r.Custody.Address, MaxAddress, true); err != nil {
			return err
		}
	}
	switch {
	case len(r.Matters) == 0 && r.Bundle == "":
		return apperr.InvalidField("matters", "name at least one matter, or a bundle")
	case len(r.Matters) > 0 && r.Bundle != "":
		return apperr.InvalidField("bundle", "is given instead of matters, not with them")
	case len(r.Matters) > MaxMatters:
		return apperr.InvalidField("matters", "at most %d matters in one case", MaxMatters)
	}
	seen := map[string]bool{}
	for _, m := range r.Matters {
		if seen[m] {
			return apperr.InvalidField("matters", "matter %s is named twice", m)
		}
		seen[m] = true
	}
	return nil
}

func text(field, s string, max int, required bool) error {
	t := strings.TrimSpace(s)
	switch {
	case required && t == "":
		return apperr.InvalidField(field, "is required")
	case utf8.RuneCountInString(s) > max:
		return apperr.InvalidField(field, "is longer than %d characters", max)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' }):
		return apperr.InvalidField(field, "contains control characters")
	}
	return nil
}

// Plan is what the catalogue decides about a request: its matters, responsible units, mode and
// time limit.
type Plan struct {
	Matters       []catalog.Matter
	Units         []string
	Mode          Mode
	TimeLimitDays int
}

// Classify decides the mode of a case received at a hall of level receiving: several responsible
// units make it joint (联合代办); one unit at the receiving level makes it immediate (即时帮办);
// one unit at another level makes it a transfer the receiving hall supervises (转办督办).
func Classify(receiving directory.Level, matters []catalog.Matter) Mode {
	units := map[string]bool{}
	sameLevel := true
	for _, m := range matters {
		units[m.UnitID] = true
		if m.Level != receiving {
			sameLevel = false
		}
	}
	switch {
	case len(units) > 1:
		return Joint
	case sameLevel:
		return Immediate
	default:
		return Transfer
	}
}

// NewPlan checks the request's attributes and materials against the matters (or the bundle) and
// classifies the case.
func NewPlan(r Request, receiving directory.Level, matters []catalog.Matter, bundle *catalog.Bundle) (Plan, error) {
	p := Plan{Matters: matters}
	provided := map[string]bool{}
	for _, m := range r.Materials {
		provided[m] = true
	}
	for code := range r.Attributes {
		if !slices.ContainsFunc(matters, func(m catalog.Matter) bool { return m.Code == code }) {
			return Plan{}, apperr.InvalidField("attributes."+code, "is not a matter of this case")
		}
	}
	for _, m := range matters {
		if err := m.ValidateAttributes(r.Attributes[m.Code]); err != nil {
			return Plan{}, prefixField(err, m.Code)
		}
		if !slices.Contains(p.Units, m.UnitID) {
			p.Units = append(p.Units, m.UnitID)
		}
		p.TimeLimitDays = max(p.TimeLimitDays, m.TimeLimitDays)
	}
	required := func() []catalog.Material {
		if bundle != nil {
			return bundle.Materials
		}
		var all []catalog.Material
		for _, m := range matters {
			all = append(all, m.Materials...)
		}
		return all
	}()
	known := map[string]bool{}
	for _, m := range required {
		known[m.Code] = true
	}
	for _, code := range r.Materials {
		if !known[code] {
			return Plan{}, apperr.InvalidField("materials", "material %s is not asked for by these matters", code)
		}
	}
	if bundle != nil {
		p.TimeLimitDays = bundle.TimeLimitDays
		p.Units = slices.Clone(bundle.ParallelUnits)
	}
	p.Mode = Classify(receiving, matters)
	return p, nil
}

// prefixField moves an attribute error of matter code under attributes.<code>.
func prefixField(err error, code string) error {
	if e, ok := apperr.As(err); ok && e.Field != "" {
		c := *e
		c.Field = strings.Replace(c.Field, "attributes.", fmt.Sprintf("attributes.%s.", code), 1)
		return &c
	}
	return err
}
