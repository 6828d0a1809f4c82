// Package sessionapi signs mini-program users and staff in: a wx.login code is exchanged with
// WeChat for the user's identity, and banban issues its own short-lived JWT, published through
// OpenID discovery and a JWKS so API Gateway's JWT authorizer validates it. Staff accounts are
// registered by administrators and bound to a WeChat identity with a one-time binding code.
package sessionapi

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"banban/shared/apperr"
	"banban/shared/auth"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/httpapi"
	"banban/shared/pii"
	"banban/shared/token"
	"banban/shared/wechat"
)

// Config is read from the environment set by template.yaml.
type Config struct {
	DirectoryTable  string        `env:"DIRECTORY_TABLE,required"`
	TokenSigningKey string        `env:"TOKEN_SIGNING_KEY,required"` // a KMS key, or file:// offline
	PIIKey          string        `env:"PII_KEY,required"`
	Issuer          string        `env:"JWT_ISSUER,required"`
	Audience        string        `env:"JWT_AUDIENCE,required"`
	TokenTTL        time.Duration `env:"TOKEN_TTL" envDefault:"2h"`
	WeChatAppID     string        `env:"WECHAT_APP_ID,required"`
	WeChatSecret    string        `env:"WECHAT_APP_SECRET,required"` // ssm:<name>, or plain: offline
	WeChatBase      string        `env:"WECHAT_API_BASE" envDefault:"https://api.weixin.qq.com"`
}

// WeChat exchanges login codes.
type WeChat interface {
	Code2Session(ctx context.Context, code string) (wechat.Session, error)
}

// Staff is the directory of staff accounts, their WeChat bindings and the places they work.
type Staff interface {
	Staff(ctx context.Context, id string) (directory.Staff, error)
	Placement(ctx context.Context, st directory.Staff) (directory.Placement, error)
	PutStaff(ctx context.Context, st directory.Staff) error
	PutBindingCode(ctx context.Context, codeHash, staffID string, expires time.Time) error
	ConsumeBindingCode(ctx context.Context, codeHash string, now time.Time) (string, error)
	Bind(ctx context.Context, subject, staffID string) error
	StaffOf(ctx context.Context, subject string) (directory.Staff, bool, error)
}

// Handler serves the session and staff-account routes.
type Handler struct {
	WeChat     WeChat
	Staff      Staff
	Tokens     *token.Issuer
	SubjectKey []byte // keys the pseudonymous subjects of mini-program users
	Now        func() time.Time
}

// BindingCodeTTL is how long a binding code may be used.
const BindingCodeTTL = 24 * time.Hour

// Routes registers the handler's routes.
func (h *Handler) Routes(log *slog.Logger) *httpapi.Router {
	r := httpapi.NewRouter(log)
	r.Handle("POST /v1/sessions", auth.PublicPolicy(), h.SignIn)
	r.Handle("GET /.well-known/openid-configuration", auth.PublicPolicy(), h.Discovery)
	r.Handle("GET /.well-known/jwks.json", auth.PublicPolicy(), h.JWKS)
	r.Handle("PUT /v1/staff/{id}", manageStaff, h.PutStaff)
	r.Handle("POST /v1/staff/{id}/binding-codes", manageStaff, h.NewBindingCode)
	return r
}

// manageStaff: the city administration manages every staff account, a hall's or a unit's
// administrator the clerks' and helpers' accounts of the hall or unit (directory.Staff.Target).
var manageStaff = auth.Allow(map[auth.Role][]auth.Reach{
	auth.CityAdmin: {auth.All}, auth.HallAdmin: {auth.Hall}, auth.UnitAdmin: {auth.Unit},
})

// SignInRequest is the body of POST /v1/sessions.
type SignInRequest struct {
	Code        string `json:"code"`
	BindingCode string `json:"bindingCode,omitempty"`
}

// Session is the answer: a bearer token for the API.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	Subject   string    `json:"subject"`
	Role      auth.Role `json:"role"`
}

// SignIn answers POST /v1/sessions.
func (h *Handler) SignIn(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	body, err := httpapi.Body(req, 4<<10)
	if err != nil {
		return httpapi.Response{}, err
	}
	var in SignInRequest
	if err := httpapi.DecodeJSON(req, body, &in); err != nil {
		return httpapi.Response{}, err
	}
	if in.Code == "" || len(in.Code) > 128 {
		return httpapi.Response{}, apperr.InvalidField("code", "is the code of wx.login (1 to 128 characters)")
	}
	if len(in.BindingCode) > 64 {
		return httpapi.Response{}, apperr.InvalidField("bindingCode", "is too long")
	}
	ws, err := h.WeChat.Code2Session(ctx, in.Code)
	if err != nil {
		return httpapi.Response{}, err
	}
	pseudonym := h.pseudonym(ws)
	now := h.Now()
	if in.BindingCode != "" {
		staffID, err := h.Staff.ConsumeBindingCode(ctx, codeHash(in.BindingCode), now)
		if err != nil {
			return httpapi.Response{}, err
		}
		if err := h.Staff.Bind(ctx, pseudonym, staffID); err != nil {
			return httpapi.Response{}, err
		}
	}
	st, isStaff, err := h.Staff.StaffOf(ctx, pseudonym)
	if err != nil {
		return httpapi.Response{}, err
	}
	// A WeChat identity bound to a staff account signs in as that staff member, never also as a
	// citizen: the two are principals of different kinds with different subjects.
	p := auth.NewCitizen(pseudonym)
	if isStaff {
		p = auth.NewStaff(st.ID, st.Role, st.UnitID, st.HallID, st.WindowID)
	}
	claims := p.Claims()
	delete(claims, auth.ClaimSubject)
	tok, exp, err := h.Tokens.Mint(ctx, p.Subject, claims)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, Session{Token: tok, ExpiresAt: exp, Subject: p.Subject, Role: p.Role}), nil
}

// pseudonym is the pseudonymous, stable id of a WeChat user ("wx-" and 32 hex digits): the openid
// itself is never put in a token or stored. Staff ids can never take this form.
func (h *Handler) pseudonym(ws wechat.Session) string {
	id := ws.OpenID
	if ws.UnionID != "" {
		id = "union:" + ws.UnionID
	}
	mac := hmac.New(sha256.New, h.SubjectKey)
	mac.Write([]byte(id))
	return "wx-" + hex.EncodeToString(mac.Sum(nil))[:32]
}

func codeHash(code string) string {
	sum := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(code))))
	return hex.EncodeToString(sum[:])
}

// Discovery answers GET /.well-known/openid-configuration.
func (h *Handler) Discovery(context.Context, httpapi.Request) (httpapi.Response, error) {
	resp := httpapi.JSON(http.StatusOK, token.DiscoveryOf(h.Tokens.Issuer))
	resp.Headers["Cache-Control"] = "public, max-age=300"
	return resp, nil
}

// JWKS answers GET /.well-known/jwks.json.
func (h *Handler) JWKS(context.Context, httpapi.Request) (httpapi.Response, error) {
	resp := httpapi.JSON(http.StatusOK, token.KeySet(h.Tokens.Signer))
	resp.Headers["Cache-Control"] = "public, max-age=300"
	return resp, nil
}

// StaffRequest is the body of PUT /v1/staff/{id}.
type StaffRequest struct {
	Name     string    `json:"name"`
	Role     auth.Role `json:"role"`
	UnitID   string    `json:"unitId,omitempty"`
	HallID   string    `json:"hallId,omitempty"`
	WindowID string    `json:"windowId,omitempty"`
}

// PutStaff answers PUT /v1/staff/{id}: an administrator registers or updates a staff account.
// Every field is checked: the id can never take a citizen's form; the unit, hall and window exist
// in the directory and agree with each other; and the account, as it was and as it will be, lies
// within the administrator's reach.
func (h *Handler) PutStaff(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id := req.PathParameters["id"]
	if !auth.ValidStaffID(id) {
		return httpapi.Response{}, apperr.InvalidField("id", "must be lower-case letters, digits and dashes, not beginning with wx-")
	}
	body, err := httpapi.Body(req, 4<<10)
	if err != nil {
		return httpapi.Response{}, err
	}
	var in StaffRequest
	if err := httpapi.DecodeJSON(req, body, &in); err != nil {
		return httpapi.Response{}, err
	}
	st := directory.Staff{ID: id, Name: strings.TrimSpace(in.Name), Role: in.Role, UnitID: in.UnitID, HallID: in.HallID, WindowID: in.WindowID}
	switch {
	case st.Name == "" || len([]rune(st.Name)) > 50:
		return httpapi.Response{}, apperr.InvalidField("name", "is required, at most 50 characters")
	case !st.Role.Staff():
		return httpapi.Response{}, apperr.InvalidField("role", "must be a staff role: %v", auth.StaffRoles)
	}
	for field, v := range map[string]string{"unitId": st.UnitID, "hallId": st.HallID, "windowId": st.WindowID} {
		if v != "" && !directory.ValidID(v) {
			return httpapi.Response{}, apperr.InvalidField(field, "is not a directory id")
		}
	}
	pl, err := h.Staff.Placement(ctx, st)
	if err != nil {
		return httpapi.Response{}, err
	}
	if st, err = st.Place(pl); err != nil {
		return httpapi.Response{}, err
	}
	// The account as it was must be the administrator's to change, and so must the account as it
	// will be: nobody moves an account into or out of a scope that is not theirs.
	old, err := h.Staff.Staff(ctx, id)
	switch {
	case err == nil:
		if err := httpapi.Authorize(ctx, old.Target(), "staff account"); err != nil {
			return httpapi.Response{}, err
		}
	case apperr.KindOf(err) != apperr.NotFound:
		return httpapi.Response{}, err
	}
	if err := httpapi.Authorize(ctx, st.Target(), "staff account"); err != nil {
		return httpapi.Response{}, apperr.New(apperr.Forbidden, "out_of_scope", "this account would lie outside your scope")
	}
	if err := h.Staff.PutStaff(ctx, st); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, st), nil
}

// BindingCode is a one-time code that binds a WeChat identity to a staff account.
type BindingCode struct {
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// NewBindingCode answers POST /v1/staff/{id}/binding-codes. Only the code's hash is stored: the
// administrator hands the code to the staff member, who signs in with it once.
func (h *Handler) NewBindingCode(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id := req.PathParameters["id"]
	if !auth.ValidStaffID(id) {
		return httpapi.Response{}, auth.NotFound("staff account")
	}
	st, err := h.Staff.Staff(ctx, id)
	if err := httpapi.AuthorizeLoaded(ctx, err, st.Target(), "staff account"); err != nil {
		return httpapi.Response{}, err
	}
	code := rand.Text()[:12]
	exp := h.Now().Add(BindingCodeTTL)
	if err := h.Staff.PutBindingCode(ctx, codeHash(code), st.ID, exp); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, BindingCode{Code: code, ExpiresAt: exp}), nil
}

// New wires the handler. signer holds the token key; keys the master key that wraps the subject
// key; secret is WeChat's app secret, already resolved.
func New(ctx context.Context, cfg Config, db dynamo.API, signer token.Signer, keys pii.KeyService, secret string, now func() time.Time) (*Handler, error) {
	subjectKey, err := (&dynamo.Secrets{DB: db, Table: cfg.DirectoryTable}).Key(ctx, dynamo.SubjectHashKey, keys)
	if err != nil {
		return nil, fmt.Errorf("subject key: %w", err)
	}
	return &Handler{
		WeChat:     &wechat.Client{HTTP: &http.Client{Timeout: 5 * time.Second}, Base: cfg.WeChatBase, AppID: cfg.WeChatAppID, Secret: secret},
		Staff:      &dynamo.Directory{DB: db, Table: cfg.DirectoryTable},
		Tokens:     &token.Issuer{Signer: signer, Issuer: cfg.Issuer, Audience: cfg.Audience, TTL: cfg.TokenTTL, Now: now},
		SubjectKey: subjectKey,
		Now:        now,
	}, nil
}
