// Package cases is the domain of assisted handling (帮办代办): a case is a request by a citizen or
// an enterprise for one or more government matters (or a "one thing" bundle), classified into one
// of three modes and carried through its lifecycle by helpers (帮办员), every change recorded.
package cases

import (
	"time"
)

// Mode is how a case is handled.
type Mode string

// The three modes of the seed.
const (
	// Immediate (即时帮办): the receiving level handles the matter directly; an on-duty helper takes it.
	Immediate Mode = "immediate"
	// Transfer (转办督办): the matter belongs to another level or unit; it is transferred and the
	// sender supervises it against a deadline.
	Transfer Mode = "transfer"
	// Joint (联合代办): the matters span several units; a lead helper coordinates them in parallel.
	Joint Mode = "joint"
)

// Channel is where a request came from.
type Channel string

// The channels of the seed.
const (
	MiniProgram Channel = "mini-program" // 微信小程序
	Hall        Channel = "hall"         // a service hall
	Grid        Channel = "grid"         // a grid worker (网格员, 淄川区 网格化+政务服务)
	Outpost     Channel = "outpost"      // enterprise lounges, parks, villages, supermarkets
	MobileVan   Channel = "mobile-van"   // 政务服务直通车
	Hotline     Channel = "hotline"      // 2512345
)

// Channels lists the channels.
var Channels = []Channel{MiniProgram, Hall, Grid, Outpost, MobileVan, Hotline}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	for _, k := range Channels {
		if c == k {
			return true
		}
	}
	return false
}

// RequesterKind says whether a person or an enterprise asks.
type RequesterKind string

// The kinds of requester.
const (
	Person     RequesterKind = "person"
	Enterprise RequesterKind = "enterprise"
)

// Personal is the personal data of a case (PIPL): stored encrypted, looked up by keyed hash,
// masked in answers to anyone but the requester and the assigned helper, purged after retention.
type Personal struct {
	Name     string `json:"name"`
	IDNumber string `json:"idNumber,omitempty"` // resident identity number of a person, or of an enterprise's agent
	Mobile   string `json:"mobile"`
	Address  string `json:"address,omitempty"` // delivery address of a full-custody case
}

// Custody is full custody (全托管): the helper does everything and delivers the certificate.
type Custody struct {
	Recipient string `json:"recipient"`
}

// Case is one request for assisted handling.
type Case struct {
	ID         string        `json:"id"`
	TrackingNo string        `json:"trackingNo"` // BB-2026-000123
	Version    int           `json:"version"`    // optimistic locking: every change increments it
	State      State         `json:"state"`
	Mode       Mode          `json:"mode"`
	Channel    Channel       `json:"channel"`
	Kind       RequesterKind `json:"requesterKind"`
	// RequesterSub is the token subject of the mini-program user who asked, "" for a visitor
	// served by staff.
	RequesterSub string `json:"requesterSub,omitempty"`
	// FiledBy is the staff member who filed the case for a visitor.
	FiledBy      string                    `json:"filedBy,omitempty"`
	CreditCode   string                    `json:"creditCode,omitempty"` // of an enterprise requester (public register data)
	Enterprise   string                    `json:"enterpriseName,omitempty"`
	Matters      []string                  `json:"matters"`
	Bundle       string                    `json:"bundle,omitempty"`
	Attributes   map[string]map[string]any `json:"attributes,omitempty"` // by matter code, then attribute code
	Materials    []string                  `json:"materials,omitempty"`
	Description  string                    `json:"description,omitempty"`
	District     string                    `json:"district"`
	Grid         string                    `json:"grid,omitempty"`
	ReceivingLvl string                    `json:"receivingLevel"`
	HallID       string                    `json:"hallId,omitempty"` // the receiving hall
	Units        []string                  `json:"units"`            // responsible units
	// SupervisedBy is the hall that transferred the case (转办督办) and supervises it to its due time.
	SupervisedBy string   `json:"supervisedBy,omitempty"`
	Custody      *Custody `json:"custody,omitempty"`
	Priority     bool     `json:"priority,omitempty"` // elderly or disabled requester, enterprise project
	Assignee     string   `json:"assignee,omitempty"`
	Overflow     string   `json:"overflow,omitempty"` // the team queue a case waits in when no helper was free (flagged)
	Declined     []string `json:"declined,omitempty"` // helpers who declined it or let it time out: not routed to again
	// SubTasks are the parallel parts of a joint case (联合代办), one per participating unit; the
	// case completes only when all are done, so the certificates are issued together (多证联发).
	SubTasks []SubTask `json:"subTasks,omitempty"`
	// SuperviseLevel is how far supervision (督办) of an overdue case has escalated: 1 team lead,
	// 2 unit administrator, 3 city administration; NoticePending the level whose notice is not
	// yet sent.
	SuperviseLevel int        `json:"superviseLevel,omitempty"`
	NoticePending  int        `json:"noticePending,omitempty"`
	DueAt          time.Time  `json:"dueAt"`
	AssignedAt     *time.Time `json:"assignedAt,omitempty"`
	CreatedAt      time.Time  `json:"createdAt"`
	UpdatedAt      time.Time  `json:"updatedAt"`
	ClosedAt       *time.Time `json:"closedAt,omitempty"`
	Reason         string     `json:"reason,omitempty"` // why unable (不能办) or withdrawn
	// RatedAt is when the case was rated (one case, one rating): only that it was, never how;
	// DefaultRated says the provincial default gave the rating. Both are shown to the requester only.
	RatedAt      *time.Time `json:"ratedAt,omitempty"`
	DefaultRated bool       `json:"defaultRated,omitempty"`
	Personal     Personal   `json:"personal"`
}

// SubTask is a participating unit's part of a joint case.
type SubTask struct {
	UnitID string     `json:"unitId"`
	Done   bool       `json:"done"`
	DoneBy string     `json:"doneBy,omitempty"`
	DoneAt *time.Time `json:"doneAt,omitempty"`
	Note   string     `json:"note,omitempty"`
}

// Event is one entry of a case's history: who changed what, when and why.
type Event struct {
	Seq    int       `json:"seq"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Role   string    `json:"role"`
	From   State     `json:"from,omitempty"`
	To     State     `json:"to"`
	Reason string    `json:"reason,omitempty"`
	Detail string    `json:"detail,omitempty"` // e.g. the new assignee
}

// Empty reports whether no personal data is held (never given, or purged).
func (p Personal) Empty() bool { return p == Personal{} }

// EventCreated and EventChanged are the types of case events.
const (
	// EventReroute asks routing to try a case waiting in a team queue again (supervision sends it).
	EventReroute = "case.reroute"
	EventCreated = "case.created"
	EventChanged = "case.changed"
)

// Message is a case event on the case-events queue: ids and routing facts, never personal data.
type Message struct {
	Type     string    `json:"type"`
	CaseID   string    `json:"caseId"`
	Version  int       `json:"version"`
	State    State     `json:"state"`
	Mode     Mode      `json:"mode"`
	HallID   string    `json:"hallId"`
	District string    `json:"district"`
	Grid     string    `json:"grid,omitempty"`
	Units    []string  `json:"units"`
	Matters  []string  `json:"matters"`
	Priority bool      `json:"priority,omitempty"`
	Assignee string    `json:"assignee,omitempty"`
	DueAt    time.Time `json:"dueAt"`
	// At is when this change happened; AssignedAt when the case was last assigned.
	At         time.Time  `json:"at"`
	AssignedAt *time.Time `json:"assignedAt,omitempty"`
}

// MessageOf is the queue message of an event of type typ on case c.
func MessageOf(typ string, c Case) Message {
	return Message{Type: typ, CaseID: c.ID, Version: c.Version, State: c.State, Mode: c.Mode, HallID: c.HallID,
		District: c.District, Grid: c.Grid, Units: c.Units, Matters: c.Matters, Priority: c.Priority,
		Assignee: c.Assignee, DueAt: c.DueAt, At: c.UpdatedAt, AssignedAt: c.AssignedAt}
}
