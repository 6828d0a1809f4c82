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

// Staff is the directory of staff accounts and their WeChat bindings.
type Staff interface {
	Staff(ctx context.Context, id string) (directory.Staff, error)
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
	r.Handle("POST /v1/sessions", h.SignIn)
	r.Handle("GET /.well-known/openid-configuration", h.Discovery)
	r.Handle("GET /.well-known/jwks.json", h.JWKS)
	r.Handle("PUT /v1/staff/{id}", h.PutStaff)
	r.Handle("POST /v1/staff/{id}/binding-codes", h.NewBindingCode)
	return r
}

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
	subject := h.subject(ws)
	now := h.Now()
	if in.BindingCode != "" {
		staffID, err := h.Staff.ConsumeBindingCode(ctx, codeHash(in.BindingCode), now)
		if err != nil {
			return httpapi.Response{}, err
		}
		if err := h.Staff.Bind(ctx, subject, staffID); err != nil {
			return httpapi.Response{}, err
		}
	}
	st, isStaff, err := h.Staff.StaffOf(ctx, subject)
	if err != nil {
		return httpapi.Response{}, err
	}
	sub, claims := subject, map[string]string{auth.ClaimRole: string(auth.Citizen)}
	if isStaff {
		sub, claims = st.ID, map[string]string{auth.ClaimRole: string(st.Role), auth.ClaimUnit: st.UnitID,
			auth.ClaimHall: st.HallID, auth.ClaimWindow: st.WindowID}
	}
	tok, exp, err := h.Tokens.Mint(ctx, sub, claims)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, Session{Token: tok, ExpiresAt: exp, Subject: sub, Role: auth.Role(claims[auth.ClaimRole])}), nil
}

// subject is the pseudonymous, stable subject of a WeChat user: the openid itself is never put in
// a token or stored.
func (h *Handler) subject(ws wechat.Session) string {
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

// mayManage reports whether administrator p may register or bind st: the city administration
// anyone, a hall or unit administrator the clerks and helpers of the hall or unit.
func mayManage(p auth.Principal, st directory.Staff) bool {
	switch p.Role {
	case auth.CityAdmin:
		return true
	case auth.HallAdmin:
		return (st.Role == auth.Clerk || st.Role == auth.Helper) && p.HallID != "" && st.HallID == p.HallID
	case auth.UnitAdmin:
		return (st.Role == auth.Clerk || st.Role == auth.Helper) && p.UnitID != "" && st.UnitID == p.UnitID
	}
	return false
}

// PutStaff answers PUT /v1/staff/{id}: an administrator registers or updates a staff account.
func (h *Handler) PutStaff(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	p, err := httpapi.Principal(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	id := req.PathParameters["id"]
	if !directory.ValidID(id) {
		return httpapi.Response{}, apperr.InvalidField("id", "must be lower-case letters, digits and dashes")
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
	case !st.Role.Valid() || st.Role == auth.Citizen || st.Role == auth.Enterprise:
		return httpapi.Response{}, apperr.InvalidField("role", "must be a staff role")
	case st.Role == auth.Clerk && st.WindowID == "":
		return httpapi.Response{}, apperr.InvalidField("windowId", "is required for a clerk")
	}
	for field, v := range map[string]string{"unitId": st.UnitID, "hallId": st.HallID, "windowId": st.WindowID} {
		if v != "" && !directory.ValidID(v) {
			return httpapi.Response{}, apperr.InvalidField(field, "is not a directory id")
		}
	}
	if !mayManage(p, st) {
		return httpapi.Response{}, apperr.New(apperr.Forbidden, "forbidden", "role %s may not manage this staff account", p.Role)
	}
	if old, err := h.Staff.Staff(ctx, id); err == nil && !mayManage(p, old) {
		return httpapi.Response{}, apperr.New(apperr.Forbidden, "forbidden", "role %s may not manage this staff account", p.Role)
	} else if err != nil && apperr.KindOf(err) != apperr.NotFound {
		return httpapi.Response{}, err
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
	p, err := httpapi.Principal(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	st, err := h.Staff.Staff(ctx, req.PathParameters["id"])
	if err != nil {
		return httpapi.Response{}, err
	}
	if !mayManage(p, st) {
		return httpapi.Response{}, apperr.New(apperr.Forbidden, "forbidden", "role %s may not manage this staff account", p.Role)
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
