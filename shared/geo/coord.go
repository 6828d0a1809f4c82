// Package geo converts between the coordinate systems used in China and finds nearby points.
//
// Mini-programs report GCJ-02 ("Mars") coordinates (wx.getLocation with type gcj02, and every
// Chinese map SDK draws in GCJ-02); GPS receivers and most open data use WGS-84. GCJ-02 is WGS-84
// moved by a smooth, obfuscated offset of a few hundred metres inside China and equal to WGS-84
// outside it. Distances are computed on WGS-84 coordinates, the only ones that are true positions.
package geo

import (
	"fmt"
	"math"
)

// Point is a latitude and longitude in degrees.
type Point struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// System names a coordinate system.
type System string

// The coordinate systems the API speaks.
const (
	GCJ02 System = "gcj02"
	WGS84 System = "wgs84"
)

// ParseSystem accepts "gcj02" and "wgs84" (the values of wx.getLocation's type parameter).
func ParseSystem(s string) (System, error) {
	switch System(s) {
	case GCJ02, WGS84:
		return System(s), nil
	}
	return "", fmt.Errorf("coordinate system %q: want gcj02 or wgs84", s)
}

// Valid reports whether p is a latitude in [-90, 90] and a longitude in [-180, 180].
func (p Point) Valid() bool {
	return !math.IsNaN(p.Lat) && !math.IsNaN(p.Lng) && p.Lat >= -90 && p.Lat <= 90 && p.Lng >= -180 && p.Lng <= 180
}

// Krasovsky 1940 ellipsoid, which the GCJ-02 offset is defined on.
const (
	krasovskyA  = 6378245.0
	krasovskyEE = 0.00669342162296594323
)

// InChina reports whether p lies in the rectangle where the GCJ-02 offset applies; outside it
// GCJ-02 equals WGS-84. The rectangle is the one every published implementation uses.
func InChina(p Point) bool {
	return p.Lng >= 72.004 && p.Lng <= 137.8347 && p.Lat >= 0.8293 && p.Lat <= 55.8271
}

// ToGCJ02 converts a WGS-84 point to GCJ-02 (the published forward transform).
func ToGCJ02(w Point) Point {
	if !InChina(w) {
		return w
	}
	dLat, dLng := offset(w)
	return Point{Lat: w.Lat + dLat, Lng: w.Lng + dLng}
}

// ToWGS84 converts a GCJ-02 point to WGS-84. The transform has no closed inverse; a fixed-point
// iteration on the forward transform converges to well under a millimetre in a few steps (the
// offset changes by less than 1% of a distance over that distance), where the common one-step
// approximation is off by up to a few metres.
func ToWGS84(g Point) Point {
	if !InChina(g) {
		return g
	}
	w := g
	for range 30 {
		f := ToGCJ02(w)
		dLat, dLng := g.Lat-f.Lat, g.Lng-f.Lng
		w.Lat += dLat
		w.Lng += dLng
		if math.Abs(dLat) < 1e-10 && math.Abs(dLng) < 1e-10 {
			break
		}
	}
	return w
}

// Convert converts p from one system to another.
func Convert(p Point, from, to System) Point {
	switch {
	case from == to:
		return p
	case from == WGS84 && to == GCJ02:
		return ToGCJ02(p)
	default:
		return ToWGS84(p)
	}
}

func offset(w Point) (dLat, dLng float64) {
	x, y := w.Lng-105.0, w.Lat-35.0
	dLat = -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	dLat += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	dLat += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	dLat += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	dLng = 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	dLng += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	dLng += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	dLng += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	radLat := w.Lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - krasovskyEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((krasovskyA * (1 - krasovskyEE)) / (magic * sqrtMagic) * math.Pi)
	dLng = (dLng * 180.0) / (krasovskyA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dLat, dLng
}

// EarthRadius is the mean Earth radius in metres (IUGG), used for great-circle distances.
const EarthRadius = 6371008.8

// Distance is the great-circle (haversine) distance in metres between two WGS-84 points.
func Distance(a, b Point) float64 {
	la1, la2 := a.Lat*math.Pi/180, b.Lat*math.Pi/180
	dLat := la2 - la1
	dLng := (b.Lng - a.Lng) * math.Pi / 180
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * EarthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}
