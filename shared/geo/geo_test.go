package geo

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// Reference pairs published with other implementations of the transform (Beijing, Jiaxing):
// the forward transform must reproduce them to a centimetre.
func TestKnownPairs(t *testing.T) {
	for _, c := range []struct{ wgs, gcj Point }{
		{Point{Lat: 39.90734, Lng: 116.39089}, Point{Lat: 39.90874107, Lng: 116.39713094}},
		{Point{Lat: 30.6107779, Lng: 121.0917077}, Point{Lat: 30.608604331756705, Lng: 121.09626935575027}},
	} {
		if g := ToGCJ02(c.wgs); Distance(g, c.gcj) > 0.01 {
			t.Errorf("%v → %v, want %v (%.3f m off)", c.wgs, g, c.gcj, Distance(g, c.gcj))
		}
		if w := ToWGS84(c.gcj); Distance(w, c.wgs) > 0.01 {
			t.Errorf("%v → %v, want %v (%.3f m off)", c.gcj, w, c.wgs, Distance(w, c.wgs))
		}
	}
	// In Zibo the offset is a few hundred metres, mostly eastwards.
	zibo := Point{Lat: 36.81, Lng: 118.05}
	if d := Distance(zibo, ToGCJ02(zibo)); d < 200 || d > 800 {
		t.Errorf("offset at Zibo is %.0f m", d)
	}
	// Outside China nothing moves.
	paris := Point{Lat: 48.8566, Lng: 2.3522}
	if ToGCJ02(paris) != paris || ToWGS84(paris) != paris {
		t.Error("points outside China must not move")
	}
}

func TestRoundTripWithinOneMetre(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	worst := 0.0
	for range 20000 {
		// All of mainland China's latitudes and longitudes, and Zibo densely.
		p := Point{Lat: 18 + r.Float64()*35, Lng: 74 + r.Float64()*60}
		if r.IntN(2) == 0 {
			p = Point{Lat: 36.0 + r.Float64()*1.3, Lng: 117.6 + r.Float64()*0.9}
		}
		for _, q := range []Point{ToWGS84(ToGCJ02(p)), ToGCJ02(ToWGS84(p))} {
			worst = math.Max(worst, Distance(p, q))
		}
	}
	t.Logf("worst of 40000 round trips: %.2e m", worst)
	// The iteration is far better than the required metre: sub-millimetre.
	if worst > 0.001 {
		t.Errorf("worst round trip %.6f m", worst)
	}
	if Convert(Point{Lat: 36.8, Lng: 118}, GCJ02, GCJ02) != (Point{Lat: 36.8, Lng: 118}) {
		t.Error("same-system conversion must not move a point")
	}
}

func TestDistance(t *testing.T) {
	// One degree of latitude on the mean sphere.
	if d := Distance(Point{0, 0}, Point{1, 0}); math.Abs(d-111195) > 1 {
		t.Errorf("1° of latitude = %.0f m", d)
	}
	// Zibo city hall to Zhoucun hall, about 15 km.
	if d := Distance(Point{36.8131, 118.0548}, Point{36.8033, 117.8703}); d < 16000 || d > 17000 {
		t.Errorf("Zhangdian–Zhoucun %.0f m", d)
	}
}

// TestNearestMatchesBruteForce checks the grid against a scan of every point with the haversine
// distance, for random places, radii (up to 50 km) and limits, with and without a filter.
func TestNearestMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pts := make([]Point, 9000)
	for i := range pts {
		pts[i] = Point{Lat: 36.0 + r.Float64()*1.3, Lng: 117.6 + r.Float64()*0.9}
	}
	// Exact duplicates: ties are broken by index.
	pts[10], pts[11] = pts[12], pts[12]
	g := NewGrid(pts)
	for q := range 500 {
		center := Point{Lat: 35.9 + r.Float64()*1.5, Lng: 117.5 + r.Float64()*1.1}
		if q == 0 {
			center = pts[12]
		}
		radius := []float64{0, 500, 3000, 10000, 50000}[q%5]
		limit := 1 + r.IntN(50)
		var keep func(int) bool
		if q%3 == 0 {
			keep = func(i int) bool { return i%18 == 4 }
		}
		var want []Hit
		for i, p := range pts {
			if keep != nil && !keep(i) {
				continue
			}
			if d := Distance(center, p); d <= radius {
				want = append(want, Hit{i, d})
			}
		}
		sort.Slice(want, func(a, b int) bool { return less(want[a], want[b]) })
		if len(want) > limit {
			want = want[:limit]
		}
		got := g.Nearest(center, radius, limit, keep)
		if len(got) != len(want) {
			t.Fatalf("query %d: %d hits, brute force %d", q, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("query %d hit %d: %+v, brute force %+v", q, i, got[i], want[i])
			}
		}
	}
}
