// Package caseapi serves the case routes of assisted handling (帮办代办): a citizen, an enterprise
// or staff for a visitor files a case; requester, helpers and administrators follow it and move it
// through its lifecycle. Personal data is shown unmasked only to the requester and the assigned
// helper.
package caseapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"banban/shared/apperr"
	"banban/shared/auth"
	"banban/shared/calendar"
	"banban/shared/caserating"
	"banban/shared/cases"
	"banban/shared/catalog"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/httpapi"
	"banban/shared/idcode"
	"banban/shared/idempotency"
	"banban/shared/pii"
	"banban/shared/queue"
	"banban/shared/routing"
)

// Config is read from the environment set by template.yaml.
type Config struct {
	CasesTable      string `env:"CASES_TABLE,required"`
	CatalogTable    string `env:"CATALOG_TABLE,required"`
	DirectoryTable  string `env:"DIRECTORY_TABLE,required"`
	CaseEventsQueue string `env:"CASE_EVENTS_QUEUE_URL,required"`
	PIIKey          string `env:"PII_KEY,required"` // a KMS key, or file:// offline
	RetentionDays   int    `env:"PII_RETENTION_DAYS" envDefault:"1095"`
	RatingsQueue    string `env:"RATINGS_QUEUE_URL,required"`
	// RatingKey wraps the secret of case rating ids (a KMS key, or file:// offline).
	RatingKey        string `env:"RATING_KEY,required"`
	RatingWindowDays int    `env:"RATING_WINDOW_DAYS" envDefault:"7"`
	// HelpersTable holds the helpers' routing profiles: a case is assigned only to a helper there.
	HelpersTable string `env:"HELPERS_TABLE,required"`
}

// MaxBody is the largest case request accepted.
const MaxBody = 64 << 10

// Catalogue finds matters and bundles.
type Catalogue interface {
	Matter(ctx context.Context, code string) (catalog.Matter, error)
	Bundle(ctx context.Context, code string) (catalog.Bundle, error)
}

// Halls finds the hall that receives a case.
type Halls interface {
	Hall(ctx context.Context, id string) (directory.Hall, error)
	HallOfDistrict(ctx context.Context, district string) (directory.Hall, error)
}

// Store keeps cases.
type Store interface {
	NextTrackingNumber(ctx context.Context, year int) (int64, error)
	Create(ctx context.Context, c cases.Case, ev cases.Event) error
	Update(ctx context.Context, c cases.Case, ev cases.Event) error
	EventSent(ctx context.Context, id string, version int) error
	Get(ctx context.Context, id string) (cases.Case, bool, error)
	History(ctx context.Context, id string) ([]cases.Event, error)
	List(ctx context.Context, l dynamo.Listing, cursor string, limit int) ([]cases.Case, string, error)
}

// Helpers finds the helpers a case may be assigned to.
type Helpers interface {
	Get(ctx context.Context, id string) (routing.Helper, error)
}

// Events takes case events to routing and supervision.
type Events interface {
	Send(ctx context.Context, v any) error
}

// Calendar gives working-day deadlines.
type Calendar interface {
	Deadline(t time.Time, workingDays int) time.Time
}

// Handler serves the case routes.
type Handler struct {
	Catalogue Catalogue
	Halls     Halls
	Helpers   Helpers
	Store     Store
	Events    Events
	Calendar  func(ctx context.Context) (Calendar, error)
	Idem      *idempotency.Runner
	// Ratings reads cases for rating (without their personal data) and Rater gives the ratings.
	Ratings     RatingCases
	Rater       *caserating.Rater
	RatingRules cases.RatingRules
	Now         func() time.Time
	Log         *slog.Logger
}

// Routes registers the handler's routes.
func (h *Handler) Routes(log *slog.Logger) *httpapi.Router {
	r := httpapi.NewRouter(log)
	r.Handle("POST /v1/cases", fileCase, h.Create)
	r.Handle("GET /v1/cases", listCases, h.List)
	r.Handle("GET /v1/cases/{id}", readCase, h.Get)
	r.Handle("POST /v1/cases/{id}/transitions", moveCase, h.Transition)
	r.Handle("POST /v1/cases/{id}/subtasks/{unit}/complete", finishPart, h.CompleteSubTask)
	r.Handle("POST /v1/cases/{id}/rating", rateCase, h.Rate)
	return r
}

// The policies of the case routes (see cases.Case.Target for what each reach matches).
var (
	// fileCase: mini-program users file their own cases; hall staff and helpers file for visitors.
	fileCase = auth.Allow(map[auth.Role][]auth.Reach{auth.Citizen: {auth.Own}, auth.Enterprise: {auth.Own},
		auth.Helper: {auth.Own}, auth.Clerk: {auth.Own}, auth.HallAdmin: {auth.Own}})
	// listCases: a mini-program user's own requests, a helper's assigned cases.
	listCases = auth.Allow(map[auth.Role][]auth.Reach{auth.Citizen: {auth.Own}, auth.Enterprise: {auth.Own}, auth.Helper: {auth.Own}})
	// readCase: the requester, the assigned helper and the filing clerk (while open), staff of a
	// unit with a part in a joint case, the receiving hall's and the responsible units'
	// administrators, the city.
	readCase = auth.Allow(map[auth.Role][]auth.Reach{auth.Citizen: {auth.Own}, auth.Enterprise: {auth.Own},
		auth.Helper: {auth.Own, auth.Part}, auth.Clerk: {auth.Own, auth.Part}, auth.HallAdmin: {auth.Hall},
		auth.UnitAdmin: {auth.Unit}, auth.CityAdmin: {auth.All}})
	// moveCase: those who read the case, and helpers of its hall or units, who may claim it while
	// it waits for a helper (and may do nothing else with it).
	moveCase = auth.Allow(map[auth.Role][]auth.Reach{auth.Citizen: {auth.Own}, auth.Enterprise: {auth.Own},
		auth.Helper: {auth.Own, auth.Part, auth.Claim}, auth.Clerk: {auth.Own, auth.Part}, auth.HallAdmin: {auth.Hall},
		auth.UnitAdmin: {auth.Unit}, auth.CityAdmin: {auth.All}})
	// finishPart: staff of a unit with a part, and the lead helper.
	finishPart = auth.Allow(map[auth.Role][]auth.Reach{auth.Helper: {auth.Own, auth.Part}, auth.Clerk: {auth.Part},
		auth.UnitAdmin: {auth.Part}})
	// rateCase: the requester only.
	rateCase = auth.Allow(map[auth.Role][]auth.Reach{auth.Citizen: {auth.Own}, auth.Enterprise: {auth.Own}})
	// assignHelpers: whom a caller may assign a case to — the helpers administrators manage, and a
	// helper itself.
	assignHelpers = auth.Allow(map[auth.Role][]auth.Reach{auth.CityAdmin: {auth.All}, auth.HallAdmin: {auth.Hall},
		auth.UnitAdmin: {auth.Unit}, auth.Helper: {auth.Own}})
)

// SubTaskDone is the body of POST /v1/cases/{id}/subtasks/{unit}/complete.
type SubTaskDone struct {
	Note    string `json:"note,omitempty"`
	Version int    `json:"version"`
}

// CompleteSubTask records that a participating unit finished its part of a joint case.
func (h *Handler) CompleteSubTask(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p, c, err := h.load(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	body, err := httpapi.Body(req, 8<<10)
	if err != nil {
		return httpapi.Response{}, err
	}
	var in SubTaskDone
	if err := httpapi.DecodeJSON(req, body, &in); err != nil {
		return httpapi.Response{}, err
	}
	if in.Version != c.Version {
		return httpapi.Response{}, apperr.New(apperr.Conflict, "stale_version", "the case is at version %d, not %d; read it again", c.Version, in.Version)
	}
	next, ev, err := c.CompleteSubTask(req.PathParameters["unit"], in.Note, p, h.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := h.Store.Update(ctx, next, ev); err != nil {
		return httpapi.Response{}, err
	}
	h.publish(ctx, cases.EventChanged, next)
	history, err := h.Store.History(ctx, next.ID)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, view(next, history, p)), nil
}

// New wires the handler. keys wraps the personal-data keys, ratingKeys the secret of rating ids.
func New(ctx context.Context, cfg Config, db dynamo.API, sqs queue.API, keys, ratingKeys pii.KeyService, now func() time.Time, log *slog.Logger) (*Handler, error) {
	dir := &dynamo.Directory{DB: db, Table: cfg.DirectoryTable}
	hashKey, err := (&dynamo.Secrets{DB: db, Table: cfg.CasesTable}).Key(ctx, dynamo.PIIHashKey, keys)
	if err != nil {
		return nil, fmt.Errorf("personal data hash key: %w", err)
	}
	ratingKey, err := (&dynamo.Secrets{DB: db, Table: cfg.CasesTable}).Key(ctx, dynamo.RatingIDKey, ratingKeys)
	if err != nil {
		return nil, fmt.Errorf("rating id key: %w", err)
	}
	protector := &pii.Protector{Keys: keys, HashKey: hashKey, Now: now}
	calendars := dir.Calendars(now)
	helpers := &dynamo.Helpers{DB: db, Table: cfg.HelpersTable, CasesTable: cfg.CasesTable}
	store := &dynamo.Cases{DB: db, Table: cfg.CasesTable, PII: protector, Retention: time.Duration(cfg.RetentionDays) * 24 * time.Hour}
	return &Handler{
		Catalogue:   dynamo.NewCatalog(db, cfg.CatalogTable, now),
		Halls:       newCachedHalls(dir, now),
		Helpers:     helpers,
		Store:       store,
		Ratings:     store,
		Rater:       &caserating.Rater{Store: store, Queue: &queue.Sender{SQS: sqs, URL: cfg.RatingsQueue}, Key: ratingKey},
		RatingRules: cases.RatingRules{WindowDays: cfg.RatingWindowDays},
		Events:      &queue.Sender{SQS: sqs, URL: cfg.CaseEventsQueue},
		Calendar:    func(ctx context.Context) (Calendar, error) { return calendars(ctx) },
		Idem:        &idempotency.Runner{Store: &dynamo.Idempotency{DB: db, Table: cfg.CasesTable, Now: now}, Log: log},
		Now:         now,
		Log:         log,
	}, nil
}

// mayFile reports whether p may file a case on channel ch: a mini-program user only for
// themselves through the mini-program, hall staff and helpers for a visitor elsewhere.
func mayFile(p auth.Principal, ch cases.Channel) bool {
	switch p.Role {
	case auth.Citizen, auth.Enterprise:
		return ch == cases.MiniProgram
	case auth.Helper, auth.Clerk, auth.HallAdmin:
		return ch != cases.MiniProgram
	}
	return false
}

// Create files a case: POST /v1/cases with an Idempotency-Key header.
func (h *Handler) Create(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p := httpapi.Caller(ctx)
	body, err := httpapi.Body(req, MaxBody)
	if err != nil {
		return httpapi.Response{}, err
	}
	var r cases.Request
	if err := httpapi.DecodeJSON(req, body, &r); err != nil {
		return httpapi.Response{}, err
	}
	key := httpapi.Header(req, "Idempotency-Key")
	if err := idempotency.CheckKey(key); err != nil {
		return httpapi.Response{}, err
	}
	now := h.Now()
	if err := r.Check(now); err != nil {
		return httpapi.Response{}, err
	}
	if !mayFile(p, r.Channel) {
		return httpapi.Response{}, apperr.New(apperr.Forbidden, "forbidden", "role %s may not file a case through channel %s", p.Role, r.Channel)
	}
	ran := false
	resp, err := h.Idem.Do(ctx, p.Subject+"#"+key, idempotency.Hash(body), func(ctx context.Context) (idempotency.Response, error) {
		ran = true
		c, err := h.create(ctx, p, r, now)
		if err != nil {
			return idempotency.Response{}, err
		}
		out, err := json.Marshal(view(c, nil, p))
		if err != nil {
			return idempotency.Response{}, fmt.Errorf("encode case: %w", err)
		}
		return idempotency.Response{Status: http.StatusCreated, Body: string(out)}, nil
	})
	if err != nil {
		return httpapi.Response{}, err
	}
	out := httpapi.JSON(resp.Status, nil)
	out.Body = resp.Body
	var created struct{ ID string }
	if json.Unmarshal([]byte(resp.Body), &created) == nil && created.ID != "" {
		out.Headers["Location"] = "/v1/cases/" + created.ID
		if !ran {
			// A retried request repeats the event a failed first attempt could not send.
			h.resendPending(ctx, created.ID)
		}
	}
	return out, nil
}

func (h *Handler) create(ctx context.Context, p auth.Principal, r cases.Request, now time.Time) (cases.Case, error) {
	hall, err := h.receivingHall(ctx, p, r)
	if err != nil {
		return cases.Case{}, err
	}
	matters, bundle, err := h.matters(ctx, r)
	if err != nil {
		return cases.Case{}, err
	}
	plan, err := cases.NewPlan(r, hall.Level, matters, bundle)
	if err != nil {
		return cases.Case{}, err
	}
	cal, err := h.Calendar(ctx)
	if err != nil {
		return cases.Case{}, err
	}
	year := calendar.DateOf(now).Year
	seq, err := h.Store.NextTrackingNumber(ctx, year)
	if err != nil {
		return cases.Case{}, err
	}
	mobile, err := idcode.Mobile(r.Mobile)
	if err != nil {
		return cases.Case{}, apperr.InvalidField("mobile", "%s", err.Error())
	}
	c := cases.Case{
		ID: uuid.NewString(), TrackingNo: fmt.Sprintf("BB-%d-%06d", year, seq), Version: 1,
		State: cases.Received, Mode: plan.Mode, Channel: r.Channel, Kind: r.RequesterKind,
		CreditCode: r.CreditCode, Enterprise: r.EnterpriseName, Matters: codes(matters), Bundle: r.Bundle,
		Attributes: r.Attributes, Materials: r.Materials, Description: r.Description, District: r.District, Grid: r.Grid,
		ReceivingLvl: string(hall.Level), HallID: hall.ID, Units: plan.Units, Priority: r.Priority != "",
		DueAt: cal.Deadline(now, plan.TimeLimitDays), CreatedAt: now, UpdatedAt: now,
		Personal: cases.Personal{Name: r.Name, IDNumber: r.IDNumber, Mobile: mobile},
	}
	if p.MiniProgramUser() {
		c.RequesterSub = p.Subject
	} else {
		c.FiledBy = p.Subject
	}
	if plan.Mode == cases.Transfer {
		c.SupervisedBy = hall.ID
	}
	if plan.Mode == cases.Joint {
		for _, u := range plan.Units {
			c.SubTasks = append(c.SubTasks, cases.SubTask{UnitID: u})
		}
	}
	if r.Custody != nil {
		c.Custody = &cases.Custody{Recipient: r.Custody.Recipient}
		c.Personal.Address = r.Custody.Address
	}
	ev := cases.Event{Seq: 1, At: now, Actor: p.Subject, Role: string(p.Role), To: cases.Received,
		Detail: fmt.Sprintf("filed through %s, mode %s", r.Channel, plan.Mode)}
	if err := h.Store.Create(ctx, c, ev); err != nil {
		return cases.Case{}, err
	}
	h.publish(ctx, cases.EventCreated, c)
	return c, nil
}

// publish sends the event and clears the case's pending mark. A failure leaves the mark: the
// event is sent again by a retry of the request (and by supervision), never lost.
func (h *Handler) publish(ctx context.Context, typ string, c cases.Case) {
	if err := h.Events.Send(ctx, cases.MessageOf(typ, c)); err != nil {
		h.Log.Warn("case event not sent; it stays pending", "caseId", c.ID, "error", err.Error())
		return
	}
	if err := h.Store.EventSent(ctx, c.ID, c.Version); err != nil {
		h.Log.Warn("case event sent but not marked", "caseId", c.ID, "error", err.Error())
	}
}

func (h *Handler) resendPending(ctx context.Context, id string) {
	c, pending, err := h.Store.Get(ctx, id)
	if err != nil || !pending {
		return
	}
	typ := cases.EventChanged
	if c.Version == 1 {
		typ = cases.EventCreated
	}
	h.publish(ctx, typ, c)
}

func (h *Handler) receivingHall(ctx context.Context, p auth.Principal, r cases.Request) (directory.Hall, error) {
	id := r.HallID
	if p.HallID != "" && r.Channel != cases.MiniProgram {
		if id != "" && id != p.HallID {
			return directory.Hall{}, apperr.InvalidField("hallId", "staff file cases at their own hall")
		}
		id = p.HallID
	}
	if id == "" {
		return h.Halls.HallOfDistrict(ctx, r.District)
	}
	hall, err := h.Halls.Hall(ctx, id)
	if apperr.KindOf(err) == apperr.NotFound {
		return directory.Hall{}, apperr.InvalidField("hallId", "is not a service hall")
	}
	return hall, err
}

func (h *Handler) matters(ctx context.Context, r cases.Request) ([]catalog.Matter, *catalog.Bundle, error) {
	codes := r.Matters
	var bundle *catalog.Bundle
	if r.Bundle != "" {
		b, err := h.Catalogue.Bundle(ctx, r.Bundle)
		if apperr.KindOf(err) == apperr.NotFound {
			return nil, nil, apperr.InvalidField("bundle", "is not a bundle of the catalogue")
		}
		if err != nil {
			return nil, nil, err
		}
		bundle, codes = &b, b.Matters
	}
	out := make([]catalog.Matter, 0, len(codes))
	for _, code := range codes {
		m, err := h.Catalogue.Matter(ctx, code)
		if apperr.KindOf(err) == apperr.NotFound {
			return nil, nil, apperr.InvalidField("matters", "matter %s is not in the catalogue", code)
		}
		if err != nil {
			return nil, nil, err
		}
		out = append(out, m)
	}
	return out, bundle, nil
}

func codes(ms []catalog.Matter) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Code
	}
	return out
}

// Get answers GET /v1/cases/{id} with the case and its history.
func (h *Handler) Get(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p, c, err := h.load(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	history, err := h.Store.History(ctx, c.ID)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, view(c, history, p)), nil
}

// load reads the case of the path if the caller reaches it under the route's policy: a case out
// of reach answers 404 like one that does not exist, so ids cannot be probed.
func (h *Handler) load(ctx context.Context, req httpapi.Request) (auth.Principal, cases.Case, error) {
	p := httpapi.Caller(ctx)
	id := req.PathParameters["id"]
	if _, err := uuid.Parse(id); err != nil {
		return p, cases.Case{}, apperr.InvalidField("id", "is not a case id")
	}
	c, _, err := h.Store.Get(ctx, id)
	if err := httpapi.AuthorizeLoaded(ctx, err, c.Target(), "case"); err != nil {
		return p, cases.Case{}, err
	}
	return p, c, nil
}

// Page is a page of cases.
type Page struct {
	Cases []View `json:"cases"`
	Next  string `json:"next,omitempty"`
}

// List answers GET /v1/cases?mine=1 (the caller's own requests) or ?assignee=me (a helper's
// cases), with limit and cursor.
func (h *Handler) List(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p := httpapi.Caller(ctx)
	q := req.QueryStringParameters
	var l dynamo.Listing
	switch {
	case q["mine"] == "1" && q["assignee"] == "":
		if !p.MiniProgramUser() {
			return httpapi.Response{}, apperr.New(apperr.Forbidden, "forbidden", "only mini-program users have requests of their own")
		}
		l = dynamo.ByRequester(p.Subject)
	case q["assignee"] == "me" && q["mine"] == "":
		if p.Role != auth.Helper {
			return httpapi.Response{}, apperr.New(apperr.Forbidden, "forbidden", "only helpers have assigned cases")
		}
		l = dynamo.ByAssignee(p.ID())
	default:
		return httpapi.Response{}, apperr.InvalidField("mine", "give mine=1 or assignee=me")
	}
	limit := 0
	if s, ok := q["limit"]; ok {
		var err error
		if limit, err = strconv.Atoi(s); err != nil {
			return httpapi.Response{}, apperr.InvalidField("limit", "must be a number")
		}
	}
	list, next, err := h.Store.List(ctx, l, q["cursor"], limit)
	if err != nil {
		return httpapi.Response{}, err
	}
	page := Page{Cases: make([]View, 0, len(list)), Next: next}
	for _, c := range list {
		if httpapi.Reaches(ctx, c.Target()) {
			page.Cases = append(page.Cases, view(c, nil, p))
		}
	}
	return httpapi.JSON(http.StatusOK, page), nil
}

// Transition answers POST /v1/cases/{id}/transitions {to, reason, assignee, version}. A helper
// of the case's hall or units who may not read it may only claim it while it waits for a helper;
// for anything else it answers 404, as for a case that does not exist, before any version or
// state is compared.
func (h *Handler) Transition(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p, c, err := h.load(ctx, req)
	if err != nil {
		return httpapi.Response{}, err
	}
	body, err := httpapi.Body(req, 8<<10)
	if err != nil {
		return httpapi.Response{}, err
	}
	var t cases.Transition
	if err := httpapi.DecodeJSON(req, body, &t); err != nil {
		return httpapi.Response{}, err
	}
	claim := t.To == cases.Assigned && p.Role == auth.Helper && t.Assignee == p.ID() &&
		(c.State == cases.Received || c.State == cases.Transferred)
	if !readCase.Reaches(p, c.Target()) && !claim {
		return httpapi.Response{}, auth.NotFound("case")
	}
	if t.Version != c.Version {
		return httpapi.Response{}, apperr.New(apperr.Conflict, "stale_version", "the case is at version %d, not %d; read it again", c.Version, t.Version)
	}
	if t.To == cases.Assigned {
		if err := h.assignable(ctx, c, t.Assignee, p); err != nil {
			return httpapi.Response{}, err
		}
	}
	next, ev, err := c.Apply(t, p, h.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := h.Store.Update(ctx, next, ev); err != nil {
		return httpapi.Response{}, err
	}
	h.publish(ctx, cases.EventChanged, next)
	history, err := h.Store.History(ctx, next.ID)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, view(next, history, p)), nil
}

// assignable checks that case c may be assigned to helper id by p: the helper exists, lies within
// p's reach (an administrator's helpers, or p itself), and may take the case (team, level, place,
// skills). A helper that does not exist and one out of reach get the same answer.
func (h *Handler) assignable(ctx context.Context, c cases.Case, id string, p auth.Principal) error {
	if id == "" {
		return apperr.InvalidField("assignee", "is required to assign a case")
	}
	hp, err := h.Helpers.Get(ctx, id)
	switch {
	case apperr.KindOf(err) == apperr.NotFound || (err == nil && !assignHelpers.Reaches(p, hp.Target())):
		return apperr.InvalidField("assignee", "is not a helper you may assign")
	case err != nil:
		return err
	}
	matters, _, err := h.matters(ctx, cases.Request{Matters: c.Matters})
	if err != nil {
		return err
	}
	if err := hp.MayTake(routing.NeedOf(c, matters), c.Mode == cases.Joint); err != nil {
		return apperr.InvalidField("assignee", "cannot take this case: %s", err.Error())
	}
	return nil
}

// View is a case as answered: personal data masked unless the caller is the requester or the
// assigned helper.
type View struct {
	cases.Case
	History []cases.Event `json:"history,omitempty"`
	Masked  bool          `json:"masked"`
}

func view(c cases.Case, history []cases.Event, p auth.Principal) View {
	v := View{Case: c, History: history}
	if !p.Is(c.RequesterSub) {
		// Only the requester sees that, and when, the case was rated: staff never learn it.
		v.RatedAt, v.DefaultRated = nil, false
	}
	if !c.SeesPersonalData(p) {
		v.Masked = true
		v.Personal = cases.Personal{
			Name:     maskName(c.Personal.Name),
			IDNumber: idcode.MaskResidentID(c.Personal.IDNumber),
			Mobile:   idcode.MaskMobile(c.Personal.Mobile),
		}
		if c.Personal.Address != "" {
			v.Personal.Address = "***"
		}
	}
	return v
}

// maskName keeps the family name: 张三丰 → 张**.
func maskName(n string) string {
	r := []rune(n)
	if len(r) == 0 {
		return ""
	}
	return string(r[:1]) + string(slices.Repeat([]rune{'*'}, len(r)-1))
}
