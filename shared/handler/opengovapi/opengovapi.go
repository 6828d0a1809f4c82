// Package opengovapi serves the public, login-free open-government reads: service guides (办事指南)
// and the city service map (城市服务地图). Both data sets live in memory, loaded from the data-sets
// table at cold start and refreshed within a minute of an import.
package opengovapi

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"time"

	"banban/shared/apperr"
	"banban/shared/auth"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/geo"
	"banban/shared/httpapi"
	"banban/shared/opengov"
)

// Config is read from the environment set by template.yaml.
type Config struct {
	OpenGovTable string `env:"OPENGOV_TABLE,required"`
}

// Bounds of the public routes: no request can make the function scan or send without limit.
const (
	MaxLimit      = 50
	MaxOffset     = 5000
	MaxQueryLen   = 64
	MaxRadius     = 50_000 // metres: the whole city from its centre
	DefaultRadius = 5_000
	refresh       = time.Minute
)

// Handler serves the guide and map routes.
type Handler struct {
	Guides *opengov.Live[*opengov.Catalogue]
	Places *opengov.Live[*opengov.Map]
}

// New wires the handler to the data-sets table.
func New(cfg Config, db dynamo.API, now func() time.Time, log *slog.Logger) *Handler {
	src := &dynamo.DataSets{DB: db, Table: cfg.OpenGovTable, Now: now}
	return &Handler{
		Guides: &opengov.Live[*opengov.Catalogue]{Kind: opengov.KindGuides, Source: src, Refresh: refresh, Now: now, Log: log,
			Build: func(s opengov.Snapshot) (*opengov.Catalogue, error) {
				gs, err := opengov.Decode(s.Records, opengov.CheckGuides)
				return opengov.NewCatalogue(gs), err
			}},
		Places: &opengov.Live[*opengov.Map]{Kind: opengov.KindPlaces, Source: src, Refresh: refresh, Now: now, Log: log,
			Build: func(s opengov.Snapshot) (*opengov.Map, error) {
				ps, err := opengov.Decode(s.Records, opengov.CheckPlaces)
				return opengov.NewMap(ps), err
			}},
	}
}

// Preload loads both data sets (at cold start). A set that cannot be loaded yet is logged and
// loaded on first use instead: the function still starts, and answers 503 until it exists.
func (h *Handler) Preload(ctx context.Context, log *slog.Logger) {
	for _, p := range []func(context.Context) error{h.Guides.Preload, h.Places.Preload} {
		if err := p(ctx); err != nil {
			log.Warn("data set not loaded at cold start", "error", err.Error())
		}
	}
}

// Routes registers the handler's routes.
func (h *Handler) Routes(log *slog.Logger) *httpapi.Router {
	r := httpapi.NewRouter(log)
	r.Handle("GET /v1/guides", auth.PublicPolicy(), h.ListGuides)
	r.Handle("GET /v1/guides/{id}", auth.PublicPolicy(), h.GetGuide)
	r.Handle("GET /v1/places", auth.PublicPolicy(), h.NearbyPlaces)
	return r
}

// GuideList is a page of guides.
type GuideList struct {
	Total  int                    `json:"total"`
	Offset int                    `json:"offset"`
	Limit  int                    `json:"limit"`
	Items  []opengov.GuideSummary `json:"items"`
}

// ListGuides answers GET /v1/guides?q=&unit=&level=&offset=&limit=.
func (h *Handler) ListGuides(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var f opengov.GuideFilter
	var err error
	if f.Query, err = httpapi.QueryText(req, "q", MaxQueryLen); err != nil {
		return httpapi.Response{}, err
	}
	if u, ok := req.QueryStringParameters["unit"]; ok {
		if !opengov.ValidID(u) {
			return httpapi.Response{}, apperr.InvalidField("unit", "is not a unit id")
		}
		f.UnitID = u
	}
	if l, ok := req.QueryStringParameters["level"]; ok {
		if f.Level = directory.Level(l); f.Level != directory.City && f.Level != directory.District && f.Level != directory.Town {
			return httpapi.Response{}, apperr.InvalidField("level", "must be city, district or town")
		}
	}
	offset, err := httpapi.QueryInt(req, "offset", 0, 0, MaxOffset)
	if err != nil {
		return httpapi.Response{}, err
	}
	limit, err := httpapi.QueryInt(req, "limit", 20, 1, MaxLimit)
	if err != nil {
		return httpapi.Response{}, err
	}
	c, err := h.Guides.Get(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	total, items := c.Find(f, offset, limit)
	return cached(httpapi.JSON(http.StatusOK, GuideList{Total: total, Offset: offset, Limit: limit, Items: items})), nil
}

// GetGuide answers GET /v1/guides/{id}.
func (h *Handler) GetGuide(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	id := req.PathParameters["id"]
	if !opengov.ValidID(id) {
		return httpapi.Response{}, apperr.InvalidField("id", "is not a guide id")
	}
	c, err := h.Guides.Get(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	g, ok := c.Guide(id)
	if !ok {
		return httpapi.Response{}, apperr.New(apperr.NotFound, "not_found", "guide %s not found", id)
	}
	return cached(httpapi.JSON(http.StatusOK, g)), nil
}

// NearbyPlace is a place of the map with its distance from the asked point. Its location is in
// the coordinate system of the request.
type NearbyPlace struct {
	opengov.Place
	TypeName string `json:"typeName"`
	Distance int    `json:"distance"` // metres, rounded
}

// PlaceList answers a map query.
type PlaceList struct {
	CoordSystem geo.System    `json:"coordSystem"`
	Center      geo.Point     `json:"center"`
	Radius      int           `json:"radius"`
	Items       []NearbyPlace `json:"items"`
}

// NearbyPlaces answers GET /v1/places?lat=&lng=&type=&radius=&limit=&coordSystem=gcj02|wgs84,
// nearest first. Mini-programs send GCJ-02 (the default); WGS-84 is converted both ways.
func (h *Handler) NearbyPlaces(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	sys := geo.GCJ02
	if s, ok := req.QueryStringParameters["coordSystem"]; ok {
		var err error
		if sys, err = geo.ParseSystem(s); err != nil {
			return httpapi.Response{}, apperr.InvalidField("coordSystem", "must be gcj02 or wgs84")
		}
	}
	lat, err := httpapi.QueryFloat(req, "lat", -90, 90)
	if err != nil {
		return httpapi.Response{}, err
	}
	lng, err := httpapi.QueryFloat(req, "lng", -180, 180)
	if err != nil {
		return httpapi.Response{}, err
	}
	radius, err := httpapi.QueryInt(req, "radius", DefaultRadius, 1, MaxRadius)
	if err != nil {
		return httpapi.Response{}, err
	}
	limit, err := httpapi.QueryInt(req, "limit", 20, 1, MaxLimit)
	if err != nil {
		return httpapi.Response{}, err
	}
	var t opengov.PlaceType
	if s, ok := req.QueryStringParameters["type"]; ok {
		if t, err = opengov.ParsePlaceType(s); err != nil {
			return httpapi.Response{}, apperr.InvalidField("type", "is not one of the 18 place types")
		}
	}
	m, err := h.Places.Get(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	center := geo.Point{Lat: lat, Lng: lng}
	found := m.Nearest(center, sys, t, float64(radius), limit)
	out := PlaceList{CoordSystem: sys, Center: center, Radius: radius, Items: make([]NearbyPlace, len(found))}
	for i, n := range found {
		p := n.Place
		p.Location = round(geo.Convert(p.Location, geo.GCJ02, sys))
		out.Items[i] = NearbyPlace{Place: p, TypeName: p.Type.Name(), Distance: int(math.Round(n.Distance))}
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// round keeps six decimals (about 0.1 m), what map SDKs use.
func round(p geo.Point) geo.Point {
	return geo.Point{Lat: math.Round(p.Lat*1e6) / 1e6, Lng: math.Round(p.Lng*1e6) / 1e6}
}

// cached lets clients and CDNs keep public, slowly changing answers for a minute.
func cached(r httpapi.Response) httpapi.Response {
	if r.StatusCode == http.StatusOK {
		r.Headers["Cache-Control"] = "public, max-age=60"
	}
	return r
}
