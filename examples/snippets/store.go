package snippets

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
)

// MaxSnippetBytes caps one snippet's size. It sits well below the MCP
// handler's request body limit so an oversized snippet gets a clear tool
// error instead of a transport failure.
const MaxSnippetBytes = 1 << 20

const (
	snippetSuffix = ".snippet"
	tempPrefix    = ".tmp-"
)

var errNotFound = errors.New("snippet not found")

// store keeps one file per snippet. Every access goes through an os.Root so
// that even a name that slipped past validName could not reach outside the
// data directory.
type store struct {
	root *os.Root
}

func openStore(dir string) (*store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("snippets: create data directory: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("snippets: open data directory: %w", err)
	}
	return &store{root: root}, nil
}

func (s *store) close() error { return s.root.Close() }

func fileName(name string) string { return name + snippetSuffix }

func (s *store) load(name string) ([]byte, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	data, err := s.root.ReadFile(fileName(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNotFound
	}
	return data, err
}

// save replaces the snippet atomically: readers and a crash at any point see
// either the old content or the new, never a torn file. Concurrent saves each
// write their own temporary file, so the last rename wins and nothing needs a
// lock.
func (s *store) save(name string, data []byte) (err error) {
	if err := validName(name); err != nil {
		return err
	}
	tmp := tempPrefix + rand.Text()
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = s.root.Remove(tmp)
		}
	}()
	if err := writeSynced(f, data); err != nil {
		return err
	}
	if err := s.root.Rename(tmp, fileName(name)); err != nil {
		return err
	}
	return s.syncDir()
}

func writeSynced(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// syncDir makes the rename itself durable; without it a power cut can
// forget the new directory entry even though the file's bytes reached disk.
func (s *store) syncDir() error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be opened for syncing there
	}
	d, err := s.root.Open(".")
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
