// Package demo loads the demo directory (units, halls, windows, staff of the Zibo halls) into a
// local stack and registers one rating kiosk per window, keeping the kiosks' secrets in
// .local/kiosks.json so the CLI can sign ratings as those kiosks. It also publishes the demo
// open-government data sets (data/opengov: guides, Q&A, places).
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"banban/shared/calendar"
	"banban/shared/catalog"
	"banban/shared/directory"
	"banban/shared/dynamo"
	"banban/shared/kiosk"
	"banban/shared/opengov"
	"banban/shared/opengov/faqindex"
)

// DirectoryFile is the demo directory, relative to the repository root.
const DirectoryFile = "data/demo/directory.json"

// KiosksFile keeps the registered demo kiosks (with secrets), relative to the repository root.
const KiosksFile = ".local/kiosks.json"

// ReadDirectory reads the demo directory.
func ReadDirectory(root string) (directory.Data, error) {
	var d directory.Data
	raw, err := os.ReadFile(filepath.Join(root, DirectoryFile))
	if err != nil {
		return d, fmt.Errorf("read demo directory: %w", err)
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return d, fmt.Errorf("parse demo directory: %w", err)
	}
	return d, nil
}

// CalendarDir holds the official working-day arrangements, one file per year.
const CalendarDir = "data/calendar"

// ReadCalendars reads every year of data/calendar.
func ReadCalendars(root string) ([]calendar.Year, error) {
	files, err := filepath.Glob(filepath.Join(root, CalendarDir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("calendar files: %w", err)
	}
	years := make([]calendar.Year, 0, len(files))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read calendar: %w", err)
		}
		var y calendar.Year
		if err := json.Unmarshal(raw, &y); err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		years = append(years, y)
	}
	return years, nil
}

// LoadCalendars stores every year of data/calendar in the directory table, as an administrator
// does when the State Council publishes the next year's arrangement.
func LoadCalendars(ctx context.Context, root string, dir *dynamo.Directory) error {
	years, err := ReadCalendars(root)
	if err != nil {
		return err
	}
	for _, y := range years {
		if err := dir.PutCalendarYear(ctx, y); err != nil {
			return fmt.Errorf("calendar %d: %w", y.Year, err)
		}
	}
	return nil
}

// CatalogFile is the matter catalogue, relative to the repository root.
const CatalogFile = "data/catalog/catalog.json"

// ReadCatalog reads and checks the catalogue against the directory.
func ReadCatalog(root string) (catalog.Catalogue, error) {
	var c catalog.Catalogue
	raw, err := os.ReadFile(filepath.Join(root, CatalogFile))
	if err != nil {
		return c, fmt.Errorf("read catalogue: %w", err)
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("parse catalogue: %w", err)
	}
	d, err := ReadDirectory(root)
	if err != nil {
		return c, err
	}
	return c, c.Check(d)
}

// LoadCatalog imports the catalogue as its current version.
func LoadCatalog(ctx context.Context, root string, cat *dynamo.Catalog) (catalog.Catalogue, error) {
	c, err := ReadCatalog(root)
	if err != nil {
		return c, err
	}
	return c, cat.Import(ctx, c)
}

// KioskID is the id of the demo kiosk of a window.
func KioskID(windowID string) string { return "kiosk-" + windowID }

// Load writes the directory and registers a kiosk for every window, returning the kiosks.
func Load(ctx context.Context, root string, dir *dynamo.Directory, kiosks *dynamo.Kiosks) ([]kiosk.Kiosk, error) {
	d, err := ReadDirectory(root)
	if err != nil {
		return nil, err
	}
	if err := dir.Load(ctx, d); err != nil {
		return nil, err
	}
	if err := LoadCalendars(ctx, root, dir); err != nil {
		return nil, err
	}
	out := make([]kiosk.Kiosk, 0, len(d.Windows))
	for _, w := range d.Windows {
		k, err := Register(ctx, kiosks, KioskID(w.ID), w)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, SaveKiosks(root, out)
}

// Register creates a kiosk for window w with a fresh secret and stores it.
func Register(ctx context.Context, kiosks *dynamo.Kiosks, id string, w directory.Window) (kiosk.Kiosk, error) {
	k, err := kiosk.New(id, w.Scope(), time.Now())
	if err != nil {
		return kiosk.Kiosk{}, err
	}
	if err := kiosks.Put(ctx, k); err != nil {
		return kiosk.Kiosk{}, fmt.Errorf("register kiosk %s: %w", id, err)
	}
	return k, nil
}

// SaveKiosks merges ks into .local/kiosks.json (readable by the owner only: it holds secrets).
func SaveKiosks(root string, ks []kiosk.Kiosk) error {
	all, err := Kiosks(root)
	if err != nil {
		return err
	}
	for _, k := range ks {
		all[k.ID] = k
	}
	raw, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return fmt.Errorf("encode kiosks: %w", err)
	}
	path := filepath.Join(root, KiosksFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save kiosks: %w", err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return fmt.Errorf("save kiosks: %w", err)
	}
	return nil
}

// Kiosks reads the saved kiosks by id; none saved yet is an empty map.
func Kiosks(root string) (map[string]kiosk.Kiosk, error) {
	all := map[string]kiosk.Kiosk{}
	raw, err := os.ReadFile(filepath.Join(root, KiosksFile))
	if os.IsNotExist(err) {
		return all, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read kiosks: %w", err)
	}
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, fmt.Errorf("parse %s: %w", KiosksFile, err)
	}
	return all, nil
}

// OpenGovFiles are the demo open-government data sets, relative to the repository root.
var OpenGovFiles = map[opengov.Kind]string{
	opengov.KindGuides: "data/opengov/guides.json",
	opengov.KindFAQ:    "data/opengov/faq.json",
	opengov.KindPlaces: "data/opengov/places.json",
}

// ReadOpenGov reads one demo data set as its records ([]opengov.Guide, []opengov.QA or
// []opengov.Place).
func ReadOpenGov(root string, k opengov.Kind) (any, error) {
	raw, err := os.ReadFile(filepath.Join(root, OpenGovFiles[k]))
	if err != nil {
		return nil, fmt.Errorf("read demo %s: %w", k, err)
	}
	switch k {
	case opengov.KindGuides:
		return opengov.Decode(raw, opengov.CheckGuides)
	case opengov.KindFAQ:
		return opengov.Decode(raw, opengov.CheckFAQ)
	default:
		return opengov.Decode(raw, opengov.CheckPlaces)
	}
}

// LoadOpenGov publishes the demo guides, Q&A and places, returning each set's size.
func LoadOpenGov(ctx context.Context, root string, sets *dynamo.DataSets) (map[opengov.Kind]int, error) {
	sizes := map[opengov.Kind]int{}
	for _, k := range opengov.Kinds {
		recs, err := ReadOpenGov(root, k)
		if err != nil {
			return nil, err
		}
		_, n, err := opengov.CheckSet(recs)
		if err != nil {
			return nil, fmt.Errorf("demo %s: %w", k, err)
		}
		if _, err := Publish(ctx, sets, recs); err != nil {
			return nil, fmt.Errorf("publish demo %s: %w", k, err)
		}
		sizes[k] = n
	}
	return sizes, nil
}

// Publish publishes a checked data set as its new version; a Q&A set goes with its search index,
// built here once so that the search function only has to open it at cold start.
func Publish(ctx context.Context, sets *dynamo.DataSets, records any) (string, error) {
	var artifact []byte
	if qs, ok := records.([]opengov.QA); ok {
		if err := opengov.CheckFAQ(qs); err != nil {
			return "", err
		}
		var err error
		if artifact, err = faqindex.Pack(qs); err != nil {
			return "", err
		}
	}
	return sets.Publish(ctx, records, artifact)
}

// GrowFAQ repeats the demo Q&A per district up to n, the way a city's real set grows (the same
// questions asked of each district's hall; the seed counts 1,951 Q&A for Zibo). For benchmarks.
func GrowFAQ(demo []opengov.QA, n int) []opengov.QA {
	out := make([]opengov.QA, 0, n)
	for round := 0; len(out) < n; round++ {
		district := opengov.Districts[round%len(opengov.Districts)]
		for _, q := range demo {
			if len(out) == n {
				break
			}
			if round > 0 {
				q.ID = fmt.Sprintf("%s-r%d", q.ID, round)
				q.Question = district + q.Question
				q.Answer = district + "：" + q.Answer
			}
			out = append(out, q)
		}
	}
	return out
}
