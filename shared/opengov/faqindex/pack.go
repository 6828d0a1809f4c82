package faqindex

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/blevesearch/bleve/v2"

	"banban/shared/opengov"
)

// The index of a Q&A set is built once, when the set is published, and shipped with it as a
// packed artifact (a gzip'd tar of the scorch index files). A function starting cold unpacks it
// to /tmp and opens it read-only: a fraction of a millisecond to open instead of building the
// index, which is CPU-bound and dominates the init (docs/benchmarks.md). When Open fails (no
// artifact, or one written by another bleve format), the caller builds the index in memory.

// maxPacked bounds what Open unpacks (the 2,000-Q&A index is under 2 MB).
const maxPacked = 64 << 20

// Pack builds the index of qas on disk and returns it packed.
func Pack(qas []opengov.QA) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "faqindex-pack-*")
	if err != nil {
		return nil, fmt.Errorf("pack faq index: %w", err)
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "index")
	idx, err := create(dir, qas)
	if err != nil {
		return nil, err
	}
	// Close persists the last segment and the root.
	if err := idx.Close(); err != nil {
		return nil, fmt.Errorf("pack faq index: %w", err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o600, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err = errors.Join(err, tw.Close(), zw.Close()); err != nil {
		return nil, fmt.Errorf("pack faq index: %w", err)
	}
	return buf.Bytes(), nil
}

// Open unpacks an index packed by Pack for qas (the set it was built from) into a new directory
// under dir and opens it read-only. It refuses an artifact that does not index exactly qas.
func Open(packed []byte, qas []opengov.QA, dir string) (*Index, error) {
	target, err := os.MkdirTemp(dir, "faqindex-*")
	if err != nil {
		return nil, fmt.Errorf("open faq index: %w", err)
	}
	fail := func(err error) (*Index, error) {
		return nil, errors.Join(fmt.Errorf("open faq index: %w", err), os.RemoveAll(target))
	}
	if err := unpack(packed, target); err != nil {
		return fail(err)
	}
	idx, err := bleve.OpenUsing(target, map[string]any{"read_only": true})
	if err != nil {
		return fail(err)
	}
	n, err := idx.DocCount()
	if err == nil && n != uint64(len(qas)) {
		err = fmt.Errorf("the artifact indexes %d Q&A, the set has %d", n, len(qas))
	}
	if err != nil {
		return fail(errors.Join(err, idx.Close()))
	}
	return newIndex(idx, target, qas), nil
}

func unpack(packed []byte, target string) error {
	zr, err := gzip.NewReader(bytes.NewReader(packed))
	if err != nil {
		return err
	}
	tr := tar.NewReader(io.LimitReader(zr, maxPacked))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		// Regular files inside the target only: an artifact can never write elsewhere.
		name := filepath.FromSlash(h.Name)
		if h.Typeflag != tar.TypeReg || !filepath.IsLocal(name) || strings.Contains(h.Name, "\\") {
			return fmt.Errorf("unexpected entry %q in the artifact", h.Name)
		}
		path := filepath.Join(target, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, tr)
		if err = errors.Join(err, f.Close()); err != nil {
			return err
		}
	}
}
