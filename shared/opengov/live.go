package opengov

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"banban/shared/apperr"
)

// Source is where the current version of each data set is read (the DataSets table).
type Source interface {
	// Version is the current version of a set; a NotFound apperr when none was imported.
	Version(ctx context.Context, k Kind) (string, error)
	// Load returns the current version of a set.
	Load(ctx context.Context, k Kind) (Snapshot, error)
}

// Snapshot is one version of a data set: its records as a JSON array and, for the Q&A, the
// packed search index built from them when they were published.
type Snapshot struct {
	Version  string
	Records  []byte
	Artifact []byte
}

// Live keeps the current version of one data set in memory, built into a T (a catalogue, a map,
// a search index). It loads the set on first use (or Preload, at cold start) and afterwards checks
// the version at most once per Refresh: an import shows within Refresh, and between checks a
// request costs no read at all. When a check or a reload fails, the set in memory stays in use;
// only a function that never loaded one answers 503.
type Live[T any] struct {
	Kind    Kind
	Source  Source
	Build   func(s Snapshot) (T, error)
	Release func(T) // frees a replaced value (optional)
	Refresh time.Duration
	Now     func() time.Time
	Log     *slog.Logger

	mu      sync.Mutex
	val     T
	version string
	checked time.Time
}

// Get returns the current value.
func (l *Live[T]) Get(ctx context.Context) (T, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	if l.version != "" && now.Sub(l.checked) < l.Refresh {
		return l.val, nil
	}
	err := l.refresh(ctx)
	if err == nil {
		l.checked = now
		return l.val, nil
	}
	if l.version != "" {
		// Keep serving the set we have; try again at the next request.
		l.Log.Warn("data set refresh failed; serving the loaded version", "set", l.Kind, "version", l.version, "error", err.Error())
		return l.val, nil
	}
	var zero T
	if apperr.KindOf(err) == apperr.NotFound {
		return zero, apperr.Wrap(err, apperr.Unavailable, "data_unavailable", "the %s data set is not available yet", l.Kind)
	}
	return zero, apperr.Wrap(err, apperr.Unavailable, "data_unavailable", "the %s data set could not be loaded", l.Kind)
}

// Preload loads the set now (at cold start, where Lambda gives the init phase its full CPU).
func (l *Live[T]) Preload(ctx context.Context) error {
	_, err := l.Get(ctx)
	return err
}

func (l *Live[T]) refresh(ctx context.Context) error {
	if l.version != "" {
		v, err := l.Source.Version(ctx, l.Kind)
		if err != nil {
			return err
		}
		if v == l.version {
			return nil
		}
	}
	snap, err := l.Source.Load(ctx, l.Kind)
	if err != nil {
		return err
	}
	val, err := l.Build(snap)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", l.Kind, snap.Version, err)
	}
	old, had := l.val, l.version != ""
	l.val, l.version = val, snap.Version
	l.Log.Info("data set loaded", "set", l.Kind, "version", snap.Version, "bytes", len(snap.Records), "artifactBytes", len(snap.Artifact))
	if had && l.Release != nil {
		// A request running elsewhere may still hold the old value: free it a little later.
		time.AfterFunc(time.Minute, func() { l.Release(old) })
	}
	return nil
}

// Decode parses a JSON array of records and checks the whole set.
func Decode[T any](raw []byte, check func([]T) error) ([]T, error) {
	var v []T
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("decode data set: %w", err)
	}
	if err := check(v); err != nil {
		return nil, err
	}
	return v, nil
}
