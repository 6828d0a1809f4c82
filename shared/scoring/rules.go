// Package scoring is the monthly assessment (月度考核): every window, staff member, helper, unit
// and hall scored 0–100 from its month's pre-aggregated figures by versioned rules, ranked within
// its hall and unit, with the red list (红榜) and the blue list (蓝榜) of each hall. It reads
// figures, never ratings, so its cost follows the number of windows, not of ratings.
package scoring

import (
	_ "embed"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Rules are the scoring rules; see rules.yaml, the version in force.
type Rules struct {
	Version string `yaml:"version"`
	Points  struct {
		GoodRate      float64 `yaml:"goodRate"`
		Volume        float64 `yaml:"volume"`
		Rectification float64 `yaml:"rectification"`
	} `yaml:"points"`
	VolumeTarget int64 `yaml:"volumeTarget"`
	Deductions   struct {
		Poor    float64 `yaml:"poor"`
		Average float64 `yaml:"average"`
		Overdue float64 `yaml:"overdue"`
	} `yaml:"deductions"`
	MinimumRatings int64 `yaml:"minimumRatings"`
	Helper         struct {
		GoodRate     float64 `yaml:"goodRate"`
		SLAMet       float64 `yaml:"slaMet"`
		Volume       float64 `yaml:"volume"`
		VolumeTarget int64   `yaml:"volumeTarget"`
	} `yaml:"helper"`
	Grades []struct {
		Name string  `yaml:"name"`
		Min  float64 `yaml:"min"`
	} `yaml:"grades"`
	RedList struct {
		Top      int     `yaml:"top"`
		MinScore float64 `yaml:"minScore"`
	} `yaml:"redList"`
}

//go:embed rules.yaml
var rulesYAML []byte

// CurrentRules are the rules in force (rules.yaml).
func CurrentRules() (Rules, error) { return ParseRules(rulesYAML) }

// ParseRules reads and checks rules: points that add up to 100, grades from best to 0.
func ParseRules(b []byte) (Rules, error) {
	var r Rules
	if err := yaml.Unmarshal(b, &r); err != nil {
		return Rules{}, fmt.Errorf("scoring rules: %w", err)
	}
	switch {
	case r.Version == "":
		return Rules{}, fmt.Errorf("scoring rules: no version")
	case r.Points.GoodRate+r.Points.Volume+r.Points.Rectification != 100:
		return Rules{}, fmt.Errorf("scoring rules %s: points add up to %v, not 100", r.Version, r.Points.GoodRate+r.Points.Volume+r.Points.Rectification)
	case r.Helper.GoodRate+r.Helper.SLAMet+r.Helper.Volume != 100:
		return Rules{}, fmt.Errorf("scoring rules %s: helper points do not add up to 100", r.Version)
	case r.VolumeTarget <= 0 || r.Helper.VolumeTarget <= 0:
		return Rules{}, fmt.Errorf("scoring rules %s: volume targets must be positive", r.Version)
	case r.Deductions.Poor < 0 || r.Deductions.Average < 0 || r.Deductions.Overdue < 0:
		return Rules{}, fmt.Errorf("scoring rules %s: deductions must not be negative", r.Version)
	case len(r.Grades) == 0 || r.Grades[len(r.Grades)-1].Min != 0:
		return Rules{}, fmt.Errorf("scoring rules %s: the last grade must start at 0", r.Version)
	}
	for i := 1; i < len(r.Grades); i++ {
		if r.Grades[i].Min >= r.Grades[i-1].Min {
			return Rules{}, fmt.Errorf("scoring rules %s: grades must go from best to worst", r.Version)
		}
	}
	return r, nil
}

// Grade names the grade of a score.
func (r Rules) Grade(score float64) string {
	for _, g := range r.Grades {
		if score >= g.Min {
			return g.Name
		}
	}
	return r.Grades[len(r.Grades)-1].Name
}
