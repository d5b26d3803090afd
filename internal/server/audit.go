package server

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// SealKeys derives the audit chain keys from the encryption keys: the
// first seals, all verify.
func SealKeys(cfg *config.Config) ([]audit.SealKey, error) {
	var keys []audit.SealKey
	for _, k := range cfg.EncryptionKeys {
		sk, err := audit.DeriveSealKey(k.ID, k.Key)
		if err != nil {
			return nil, err
		}
		keys = append(keys, sk)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no encryption key to seal the audit trail with")
	}
	return keys, nil
}

// newRecorder builds the audit recorder the configuration asks for (nil
// when it asks for none). The audit file and the recorder are added to
// open: the recorder writes what is queued, then the file closes.
func newRecorder(cfg *config.Config, st storage.Store, opt Options, open *cleanup) (*audit.Recorder, error) {
	rec, file, err := openRecorder(cfg, st, opt.Log, opt.Now, cfg.Audit.Stdout)
	if err != nil {
		return nil, err
	}
	open.add("audit file", file.Close)
	open.add("audit recorder", func() error { rec.Close(); return nil })
	return rec, nil
}

// CommandRecorder builds the recorder for what the command line changes
// in the store (an administrator's actions): the configuration's audit
// trail in the store and its audit file, as a server writes them, but
// never standard output, which is the command's own. Close the recorder,
// then the closer, before the store: that stores what is queued.
func CommandRecorder(cfg *config.Config, st storage.Store, log *slog.Logger) (*audit.Recorder, io.Closer, error) {
	return openRecorder(cfg, st, log, time.Now, false)
}

func openRecorder(c *config.Config, st storage.Store, log *slog.Logger, now func() time.Time, stdout bool) (*audit.Recorder, io.Closer, error) {
	cfg := c.Audit
	keys, err := SealKeys(c)
	if err != nil {
		return nil, nil, err
	}
	o := audit.Options{Key: keys[0], Log: log, Now: now}
	if *cfg.Store {
		o.Store = st
	}
	if stdout {
		o.Writers = append(o.Writers, os.Stdout)
	}
	var closer io.Closer = io.NopCloser(nil)
	if cfg.File != "" {
		f, err := os.OpenFile(cfg.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("audit file: %w", err)
		}
		o.Writers = append(o.Writers, f)
		closer = f
	}
	if o.Store == nil && len(o.Writers) == 0 {
		return nil, closer, nil
	}
	return audit.NewRecorder(o), closer, nil
}
