// Package catalogapi serves the public matter catalogue (事项目录): citizens and enterprises browse
// matters, their materials and request attributes, and the "one thing" bundles before they ask
// for help.
package catalogapi

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"banban/shared/apperr"
	"banban/shared/auth"
	"banban/shared/catalog"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/httpapi"
)

// Config is read from the environment set by template.yaml.
type Config struct {
	CatalogTable string `env:"CATALOG_TABLE,required"`
}

// Catalogue gives the current catalogue.
type Catalogue interface {
	Current(ctx context.Context) (*catalog.Catalogue, error)
}

// Handler serves the catalogue routes.
type Handler struct {
	Catalogue Catalogue
}

// New wires the handler.
func New(cfg Config, db dynamo.API, now func() time.Time) *Handler {
	return &Handler{Catalogue: dynamo.NewCatalog(db, cfg.CatalogTable, now)}
}

// Routes registers the handler's routes.
func (h *Handler) Routes(log *slog.Logger) *httpapi.Router {
	r := httpapi.NewRouter(log)
	r.Handle("GET /v1/matters", auth.PublicPolicy(), h.ListMatters)
	r.Handle("GET /v1/matters/{code}", auth.PublicPolicy(), h.GetMatter)
	r.Handle("GET /v1/bundles", auth.PublicPolicy(), h.ListBundles)
	return r
}

// MatterPage is a page of matters.
type MatterPage struct {
	Version string           `json:"version"`
	Matters []catalog.Matter `json:"matters"`
	Next    string           `json:"next,omitempty"`
}

// MaxQuery bounds the search text.
const MaxQuery = 50

// ListMatters answers GET /v1/matters?unit=&level=&domain=&q=&limit=&cursor=.
func (h *Handler) ListMatters(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	q := req.QueryStringParameters
	level := directory.Level(q["level"])
	if level != "" && !level.Valid() {
		return httpapi.Response{}, apperr.InvalidField("level", "must be city, district, town or community")
	}
	if len([]rune(q["q"])) > MaxQuery {
		return httpapi.Response{}, apperr.InvalidField("q", "is longer than %d characters", MaxQuery)
	}
	limit := dynamo.DefaultPageSize
	if s, ok := q["limit"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > dynamo.MaxPageSize {
			return httpapi.Response{}, apperr.InvalidField("limit", "must be from 1 to %d", dynamo.MaxPageSize)
		}
		limit = n
	}
	c, err := h.Catalogue.Current(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	offset, err := decodeOffset(q["cursor"], c.Version)
	if err != nil {
		return httpapi.Response{}, err
	}
	var hits []catalog.Matter
	for _, m := range c.Matters {
		if (q["unit"] == "" || m.UnitID == q["unit"]) && (level == "" || m.Level == level) &&
			(q["domain"] == "" || m.Domain == q["domain"]) && (q["q"] == "" || strings.Contains(m.Name, q["q"])) {
			hits = append(hits, m)
		}
	}
	page := MatterPage{Version: c.Version, Matters: []catalog.Matter{}}
	if offset < len(hits) {
		end := min(offset+limit, len(hits))
		page.Matters = hits[offset:end]
		if end < len(hits) {
			page.Next = encodeOffset(c.Version, end)
		}
	}
	return httpapi.JSON(http.StatusOK, page), nil
}

// The cursor of a listing is its catalogue version and offset: a cursor of an older version is
// refused rather than silently skipping or repeating matters.
func encodeOffset(version string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(version + "|" + strconv.Itoa(offset)))
}

func decodeOffset(cursor, version string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	bad := apperr.InvalidField("cursor", "is not a cursor of the current catalogue; start again")
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, bad
	}
	v, n, ok := strings.Cut(string(raw), "|")
	offset, err := strconv.Atoi(n)
	if !ok || v != version || err != nil || offset < 0 {
		return 0, bad
	}
	return offset, nil
}

// GetMatter answers GET /v1/matters/{code}.
func (h *Handler) GetMatter(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	code := req.PathParameters["code"]
	if !catalog.ValidCode(code) {
		return httpapi.Response{}, apperr.InvalidField("code", "is not a matter code")
	}
	c, err := h.Catalogue.Current(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	for _, m := range c.Matters {
		if m.Code == code {
			return httpapi.JSON(http.StatusOK, m), nil
		}
	}
	return httpapi.Response{}, apperr.New(apperr.NotFound, "not_found", "matter %s not found", code)
}

// BundleList is the list of bundles.
type BundleList struct {
	Version string           `json:"version"`
	Bundles []catalog.Bundle `json:"bundles"`
}

// ListBundles answers GET /v1/bundles.
func (h *Handler) ListBundles(ctx context.Context, _ httpapi.Request) (httpapi.Response, error) {
	c, err := h.Catalogue.Current(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, BundleList{Version: c.Version, Bundles: c.Bundles}), nil
}
