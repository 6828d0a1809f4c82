package opengov

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"banban/shared/geo"
)

// mapOf9000 grows the demo places to 9,000 (the seed's "9,000+ entries") by placing copies of
// them within a few kilometres of the originals, so density follows the city's real layout.
func mapOf9000(b *testing.B) ([]Place, *Map) {
	demo := readDemo[Place](&testing.T{}, "places.json")
	r := rand.New(rand.NewPCG(9, 0))
	ps := make([]Place, 0, 9000)
	for i := 0; len(ps) < 9000; i++ {
		p := demo[i%len(demo)]
		if i >= len(demo) {
			p.ID = fmt.Sprintf("%s-%d", p.ID, i)
			p.Location = geo.Point{Lat: p.Location.Lat + (r.Float64()-0.5)*0.05, Lng: p.Location.Lng + (r.Float64()-0.5)*0.06}
		}
		ps = append(ps, p)
	}
	if err := CheckPlaces(ps); err != nil {
		b.Fatal(err)
	}
	return ps, NewMap(ps)
}

// BenchmarkNearest9000 is one GET /v1/places query over 9,000 places: the 20 nearest within the
// default 5 km, all types; by type within 20 km; and a brute-force scan of all 9,000 as baseline.
func BenchmarkNearest9000(b *testing.B) {
	ps, m := mapOf9000(b)
	r := rand.New(rand.NewPCG(1, 1))
	at := make([]geo.Point, 1024)
	for i := range at {
		at[i] = geo.Point{Lat: 36.2 + r.Float64()*0.9, Lng: 117.8 + r.Float64()*0.5}
	}
	b.Run("all-types-5km", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			m.Nearest(at[i%len(at)], geo.GCJ02, "", 5000, 20)
		}
	})
	b.Run("one-type-20km", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			m.Nearest(at[i%len(at)], geo.GCJ02, "town_center", 20000, 20)
		}
	})
	b.Run("whole-city-50km", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			m.Nearest(at[i%len(at)], geo.GCJ02, "", 50000, 50)
		}
	})
	b.Run("brute-force-baseline", func(b *testing.B) {
		wgs := make([]geo.Point, len(ps))
		for i, p := range ps {
			wgs[i] = geo.ToWGS84(p.Location)
		}
		for i := 0; b.Loop(); i++ {
			c := geo.ToWGS84(at[i%len(at)])
			n := 0
			for _, p := range wgs {
				if geo.Distance(c, p) <= 5000 {
					n++
				}
			}
			_ = n
		}
	})
}
