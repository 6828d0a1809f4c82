package catalog

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"banban/shared/apperr"
	"banban/shared/directory"
)

// DefaultMaxLength bounds string and text attributes without a MaxLength of their own.
const (
	DefaultStringMax = 200
	DefaultTextMax   = 2000
)

var codePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,39}$`)

// ValidCode reports whether code is a matter or bundle code: capital letters, digits and dashes.
func ValidCode(code string) bool { return codePattern.MatchString(code) }

// ValidateAttributes checks a request's attribute values against the matter's definitions. An
// error names the field as attributes.<code>.
func (m Matter) ValidateAttributes(values map[string]any) error {
	defs := map[string]Attribute{}
	for _, a := range m.Attributes {
		defs[a.Code] = a
	}
	for code := range values {
		if _, ok := defs[code]; !ok {
			return apperr.InvalidField("attributes."+code, "is not an attribute of matter %s", m.Code)
		}
	}
	for _, a := range m.Attributes {
		v, present := values[a.Code]
		if !present || v == nil {
			if a.Required {
				return apperr.InvalidField("attributes."+a.Code, "is required (%s)", a.Name)
			}
			continue
		}
		if err := a.check(v); err != nil {
			return apperr.InvalidField("attributes."+a.Code, "%s", err.Error())
		}
	}
	return nil
}

func (a Attribute) check(v any) error {
	switch a.Type {
	case String, Text:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("must be text")
		}
		limit := a.MaxLength
		if limit == 0 {
			limit = map[AttributeType]int{String: DefaultStringMax, Text: DefaultTextMax}[a.Type]
		}
		if utf8.RuneCountInString(s) > limit {
			return fmt.Errorf("is longer than %d characters", limit)
		}
		if a.Required && s == "" {
			return fmt.Errorf("is required (%s)", a.Name)
		}
	case Number:
		f, ok := v.(float64) // what encoding/json decodes numbers into
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("must be a number")
		}
	case Datetime:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("must be an RFC 3339 time with offset")
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return fmt.Errorf("must be an RFC 3339 time with offset")
		}
	case SingleValue:
		s, ok := v.(string)
		if !ok || !a.allows(s) {
			return fmt.Errorf("must be one of %v", a.keys())
		}
	case MultiValue:
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return fmt.Errorf("must be a non-empty list of %v", a.keys())
		}
		seen := map[string]bool{}
		for _, item := range list {
			s, ok := item.(string)
			if !ok || !a.allows(s) || seen[s] {
				return fmt.Errorf("must be distinct values of %v", a.keys())
			}
			seen[s] = true
		}
	default:
		return fmt.Errorf("has an unknown type %q", a.Type)
	}
	return nil
}

func (a Attribute) allows(key string) bool {
	return slices.ContainsFunc(a.Values, func(c Choice) bool { return c.Key == key })
}

func (a Attribute) keys() []string {
	out := make([]string, len(a.Values))
	for i, c := range a.Values {
		out[i] = c.Key
	}
	return out
}

// MissingMaterials lists the required materials of m that are not among provided codes.
func (m Matter) MissingMaterials(provided []string) []Material {
	return missing(m.Materials, provided)
}

// MissingMaterials lists the required materials of the bundle's reduced list not provided.
func (b Bundle) MissingMaterials(provided []string) []Material {
	return missing(b.Materials, provided)
}

func missing(required []Material, provided []string) []Material {
	var out []Material
	for _, m := range required {
		if m.Required && !slices.Contains(provided, m.Code) {
			out = append(out, m)
		}
	}
	return out
}

var attrTypes = []AttributeType{String, Number, Datetime, Text, SingleValue, MultiValue}

// Check verifies a matter is complete and consistent.
func (m Matter) Check() error {
	switch {
	case !ValidCode(m.Code):
		return fmt.Errorf("matter %q: bad code", m.Code)
	case m.Name == "" || m.UnitID == "" || m.Domain == "":
		return fmt.Errorf("matter %s: name, unit and domain are required", m.Code)
	case !m.Level.Valid():
		return fmt.Errorf("matter %s: bad level %q", m.Code, m.Level)
	case m.TimeLimitDays < 0 || m.TimeLimitDays > 365:
		return fmt.Errorf("matter %s: time limit %d working days is out of range", m.Code, m.TimeLimitDays)
	}
	seen := map[string]bool{}
	for _, mat := range m.Materials {
		if mat.Code == "" || mat.Name == "" || seen["m:"+mat.Code] {
			return fmt.Errorf("matter %s: material %q missing or repeated", m.Code, mat.Code)
		}
		seen["m:"+mat.Code] = true
	}
	for _, a := range m.Attributes {
		if a.Code == "" || a.Name == "" || seen["a:"+a.Code] || !slices.Contains(attrTypes, a.Type) {
			return fmt.Errorf("matter %s: attribute %q missing, repeated or of unknown type", m.Code, a.Code)
		}
		seen["a:"+a.Code] = true
		isList := a.Type == SingleValue || a.Type == MultiValue
		if isList != (len(a.Values) > 0) {
			return fmt.Errorf("matter %s: attribute %s: list values go with list types only", m.Code, a.Code)
		}
	}
	return nil
}

// Catalogue is the whole catalogue as kept in the data files.
type Catalogue struct {
	Version string   `json:"version"`
	Matters []Matter `json:"matters"`
	Bundles []Bundle `json:"bundles"`
}

// Check verifies every matter and bundle, unique codes, and that units exist in d.
func (c Catalogue) Check(d directory.Data) error {
	if c.Version == "" {
		return fmt.Errorf("catalogue: no version")
	}
	units := map[string]bool{}
	for _, u := range d.Units {
		units[u.ID] = true
	}
	matters := map[string]bool{}
	for _, m := range c.Matters {
		if err := m.Check(); err != nil {
			return err
		}
		if matters[m.Code] {
			return fmt.Errorf("matter %s appears twice", m.Code)
		}
		if !units[m.UnitID] {
			return fmt.Errorf("matter %s: unknown unit %s", m.Code, m.UnitID)
		}
		matters[m.Code] = true
	}
	bundles := map[string]bool{}
	for _, b := range c.Bundles {
		switch {
		case !ValidCode(b.Code) || b.Name == "" || bundles[b.Code]:
			return fmt.Errorf("bundle %q: bad or repeated code, or no name", b.Code)
		case len(b.Matters) < 2 || len(b.Materials) == 0 || b.OriginalMaterials < len(b.Materials):
			return fmt.Errorf("bundle %s: needs two matters and a reduced material list", b.Code)
		}
		for _, code := range b.Matters {
			if !matters[code] {
				return fmt.Errorf("bundle %s: unknown matter %s", b.Code, code)
			}
		}
		for _, u := range b.ParallelUnits {
			if !units[u] {
				return fmt.Errorf("bundle %s: unknown unit %s", b.Code, u)
			}
		}
		bundles[b.Code] = true
	}
	return nil
}
