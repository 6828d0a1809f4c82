// Package notice is the domain of the notices that banban's jobs put on the notifications queue
// for people to hear of: a case overdue (督办), a requester's invitation to rate a case and its
// reminder, a rectification ticket (查摆整改) opened, late or overdue. Every notice is a JSON
// object sharing one envelope — its id, type and recipient, and the ids that route it (case,
// ticket, unit, hall, window, the requester's token subject) — plus fields of its own type. A
// notice carries ids, codes and times, never personal data: the requester's subject is a
// pseudonym, and a delivery adapter looks up the address it needs.
package notice

import (
	"encoding/json"
	"fmt"
	"slices"

	"banban/shared/apperr"
)

// Type names what a notice is about.
type Type string

// The known types; the senders build them from these constants.
const (
	CaseOverdue               Type = "case.overdue"                // supervision: a case past its due time
	RatingInvitation          Type = "rating.invitation"           // supervision: rate a closed case
	RatingReminder            Type = "rating.reminder"             // supervision: the one reminder to rate
	RectificationOpened       Type = "rectification.opened"        // rectification watch: a ticket opened
	RectificationResponseLate Type = "rectification.response_late" // the same-day first response missed
	RectificationOverdue      Type = "rectification.overdue"       // past its due day, not verified
	ReportPublished           Type = "report.published"            // monthly scoring: a unit's own figures
)

// Recipient is who a notice is for: a staff role, or the requester of a case.
type Recipient string

// The recipients. The staff roles are spelt as auth.Role spells them.
const (
	TeamLead  Recipient = "team_lead"
	UnitAdmin Recipient = "unit_admin"
	CityAdmin Recipient = "city_admin"
	Requester Recipient = "requester"
)

// rule is what a type of notice must carry: the recipients it goes to and the routing fields
// (their JSON names) it cannot be delivered without.
type rule struct {
	recipients []Recipient
	needs      []string
}

var rules = map[Type]rule{
	CaseOverdue:               {[]Recipient{TeamLead, UnitAdmin, CityAdmin}, []string{"caseId"}},
	RatingInvitation:          {[]Recipient{Requester}, []string{"caseId", "subject"}},
	RatingReminder:            {[]Recipient{Requester}, []string{"caseId", "subject"}},
	RectificationOpened:       {[]Recipient{UnitAdmin}, []string{"ticketId", "unitId"}},
	RectificationResponseLate: {[]Recipient{UnitAdmin}, []string{"ticketId", "unitId"}},
	RectificationOverdue:      {[]Recipient{UnitAdmin, CityAdmin}, []string{"ticketId", "unitId"}},
	ReportPublished:           {[]Recipient{UnitAdmin}, []string{"unitId"}},
}

// Types lists the known types, in a fixed order.
var Types = []Type{CaseOverdue, RatingInvitation, RatingReminder, RectificationOpened, RectificationResponseLate, RectificationOverdue, ReportPublished}

// Known reports whether t is one of Types.
func (t Type) Known() bool {
	_, ok := rules[t]
	return ok
}

// Envelope is what every notice shares. ID is stable: the same notice sent again (a job that
// failed between sending and recording it, or a queue redelivery) has the same ID, so delivery
// can drop repeats.
type Envelope struct {
	ID        string    `json:"id,omitempty"`
	Type      Type      `json:"type"`
	Recipient Recipient `json:"recipient"`
	// Subject is the requester's token subject, a pseudonym (requester notices only).
	Subject  string   `json:"subject,omitempty"`
	CaseID   string   `json:"caseId,omitempty"`
	TicketID string   `json:"ticketId,omitempty"`
	UnitID   string   `json:"unitId,omitempty"`
	HallID   string   `json:"hallId,omitempty"`
	WindowID string   `json:"windowId,omitempty"`
	Units    []string `json:"units,omitempty"` // the units of a case
	// SupervisedBy is the hall that transferred an overdue case, Assignee its helper (staff ids).
	SupervisedBy string `json:"supervisedBy,omitempty"`
	Assignee     string `json:"assignee,omitempty"`
}

// Notice is a notice read off the queue: its envelope, checked, and the whole message, for an
// adapter that renders the fields of its type (due times, tracking number).
type Notice struct {
	Envelope
	Body json.RawMessage
}

// wire is a message as sent: the envelope and the one field of its own type that identifies a
// notice without an id (the escalation level of case.overdue).
type wire struct {
	Envelope
	Level int `json:"level"`
}

// Parse reads and checks one message. Unknown fields are the type's own and are kept in Body.
// An unreadable or incomplete message is an Invalid apperr error naming the field at fault; the
// error never quotes the message.
func Parse(body []byte) (Notice, error) {
	var w wire
	if err := json.Unmarshal(body, &w); err != nil {
		return Notice{}, apperr.Wrap(err, apperr.Invalid, "unreadable_notice", "the notice is not a JSON object of the notice shape")
	}
	if w.ID == "" && w.Type == CaseOverdue && w.CaseID != "" && w.Level > 0 {
		// Supervision sends one overdue notice per case and escalation level, without an id.
		w.ID = fmt.Sprintf("%s:%s:%d", w.CaseID, w.Type, w.Level)
	}
	if err := w.Check(); err != nil {
		return Notice{}, err
	}
	return Notice{Envelope: w.Envelope, Body: json.RawMessage(slices.Clone(body))}, nil
}

// Check refuses an envelope that cannot be delivered: an empty or unknown type, no id, a
// recipient the type does not go to, or a routing id the type needs missing.
func (e Envelope) Check() error {
	r, ok := rules[e.Type]
	switch {
	case e.Type == "":
		return apperr.InvalidField("type", "the notice has no type")
	case !ok:
		return apperr.InvalidField("type", "the notice type is not one of the known types")
	case e.ID == "":
		return apperr.InvalidField("id", "the notice has no id")
	case e.Recipient == "":
		return apperr.InvalidField("recipient", "the notice has no recipient")
	case !slices.Contains(r.recipients, e.Recipient):
		return apperr.InvalidField("recipient", "a %s notice does not go to that recipient", e.Type)
	}
	for _, field := range r.needs {
		if e.routing(field) == "" {
			return apperr.InvalidField(field, "a %s notice needs its %s", e.Type, field)
		}
	}
	return nil
}

// routing is the value of the routing field named by its JSON name.
func (e Envelope) routing(field string) string {
	switch field {
	case "caseId":
		return e.CaseID
	case "subject":
		return e.Subject
	case "ticketId":
		return e.TicketID
	case "unitId":
		return e.UnitID
	}
	return ""
}
