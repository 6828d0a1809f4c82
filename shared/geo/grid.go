package geo

import (
	"math"
	"sort"
)

// Grid finds the points nearest to a place within a radius. Points are bucketed in cells of
// cellDeg degrees; a query visits only the cells that meet the bounding box of its circle and
// checks each candidate with the true great-circle distance, so the answer is exact (the same as
// checking every point) while a city-sized radius reads a handful of cells.
type Grid struct {
	points []Point
	cells  map[cell][]int32
}

type cell struct{ row, col int32 }

// cellDeg is about 5.5 km of latitude: a typical "near me" radius of a few kilometres reads
// four to nine cells of some tens of points each.
const cellDeg = 0.05

func cellOf(p Point) cell {
	return cell{row: int32(math.Floor(p.Lat / cellDeg)), col: int32(math.Floor(p.Lng / cellDeg))}
}

// NewGrid indexes points (WGS-84); query answers refer to them by their index in points.
func NewGrid(points []Point) *Grid {
	g := &Grid{points: points, cells: make(map[cell][]int32, len(points)/8+1)}
	for i, p := range points {
		c := cellOf(p)
		g.cells[c] = append(g.cells[c], int32(i))
	}
	return g
}

// Hit is a point found by a query: its index and its distance in metres.
type Hit struct {
	Index    int
	Distance float64
}

// Nearest returns up to limit points within radius metres of center (WGS-84), nearest first
// (ties by index), keeping only those for which keep returns true (nil keeps all).
func (g *Grid) Nearest(center Point, radius float64, limit int, keep func(int) bool) []Hit {
	if limit <= 0 || radius < 0 {
		return nil
	}
	// Bounding box of the circle, widened to whole cells. Longitude degrees shrink with the
	// cosine of the latitude; the box uses the latitude of its edge nearest a pole.
	dLat := radius / EarthRadius * 180 / math.Pi
	edge := math.Min(89.9, math.Abs(center.Lat)+dLat)
	dLng := math.Min(180, dLat/math.Cos(edge*math.Pi/180))
	lo := cellOf(Point{Lat: center.Lat - dLat, Lng: center.Lng - dLng})
	hi := cellOf(Point{Lat: center.Lat + dLat, Lng: center.Lng + dLng})

	best := make([]Hit, 0, limit)
	consider := func(i int32) {
		if keep != nil && !keep(int(i)) {
			return
		}
		d := Distance(center, g.points[i])
		if d > radius {
			return
		}
		h := Hit{Index: int(i), Distance: d}
		if len(best) == limit && !less(h, best[len(best)-1]) {
			return
		}
		// Insert in order; limit is small (the API bounds it), so this beats a heap.
		at := sort.Search(len(best), func(j int) bool { return less(h, best[j]) })
		if len(best) < limit {
			best = append(best, Hit{})
		}
		copy(best[at+1:], best[at:len(best)-1])
		best[at] = h
	}
	// A box wider than the cells in use is cheaper to scan cell by cell than by rows and columns.
	if int64(hi.row-lo.row+1)*int64(hi.col-lo.col+1) > int64(len(g.cells)) {
		for c, ids := range g.cells {
			if c.row >= lo.row && c.row <= hi.row && c.col >= lo.col && c.col <= hi.col {
				for _, i := range ids {
					consider(i)
				}
			}
		}
		return best
	}
	for r := lo.row; r <= hi.row; r++ {
		for c := lo.col; c <= hi.col; c++ {
			for _, i := range g.cells[cell{r, c}] {
				consider(i)
			}
		}
	}
	return best
}

func less(a, b Hit) bool {
	if a.Distance != b.Distance {
		return a.Distance < b.Distance
	}
	return a.Index < b.Index
}
