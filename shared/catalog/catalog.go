// Package catalog is the matter catalogue (事项目录): every government matter a case can ask for,
// with its responsible unit, level, promised time limit in working days, required materials and
// typed request attributes (like an Open311 service definition), and the bundles (一件事) that
// package several matters with a reduced material list and parallel approval.
package catalog

import (
	"banban/shared/directory"
)

// AttributeType is the type of a request attribute, as in Open311 GeoReport v2.
type AttributeType string

// The attribute types.
const (
	String      AttributeType = "string"          // one line of text
	Number      AttributeType = "number"          // a decimal number
	Datetime    AttributeType = "datetime"        // RFC 3339 time with offset
	Text        AttributeType = "text"            // free text, several lines
	SingleValue AttributeType = "singlevaluelist" // one key of Values
	MultiValue  AttributeType = "multivaluelist"  // one or more keys of Values
)

// Choice is one allowed value of a list attribute.
type Choice struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// Attribute is a typed piece of information a request for the matter must (or may) carry.
type Attribute struct {
	Code        string        `json:"code"`
	Name        string        `json:"name"`
	Type        AttributeType `json:"type"`
	Required    bool          `json:"required"`
	Description string        `json:"description,omitempty"`
	Values      []Choice      `json:"values,omitempty"` // for list types
	MaxLength   int           `json:"maxLength,omitempty"`
}

// Material is a document the applicant provides (申请材料).
type Material struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Required bool   `json:"required"`
	Note     string `json:"note,omitempty"`
}

// Matter is one government matter (政务服务事项).
type Matter struct {
	Code          string          `json:"code"`
	Name          string          `json:"name"`
	UnitID        string          `json:"unitId"` // the responsible unit (directory id)
	Level         directory.Level `json:"level"`
	Domain        string          `json:"domain"`        // e.g. enterprise, construction, tax, social-security, agriculture, finance
	TimeLimitDays int             `json:"timeLimitDays"` // promised time limit (承诺时限), working days
	Online        bool            `json:"online"`        // can be done entirely online (全程网办)
	Materials     []Material      `json:"materials"`
	Attributes    []Attribute     `json:"attributes"`
}

// Bundle is a "one thing" package (一件事) of several matters handled together: one reduced
// material list, the units approving in parallel (并联审批), certificates issued together.
type Bundle struct {
	Code              string     `json:"code"`
	Name              string     `json:"name"`
	Category          string     `json:"category"` // building-renovation, elevator, new-floor-area
	Matters           []string   `json:"matters"`  // matter codes
	ParallelUnits     []string   `json:"parallelUnits"`
	Materials         []Material `json:"materials"`         // the reduced list
	OriginalMaterials int        `json:"originalMaterials"` // how many the matters asked for separately
	TimeLimitDays     int        `json:"timeLimitDays"`
}
