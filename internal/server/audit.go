package server

import (
	"fmt"
	"io"
	"os"

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

// newRecorder builds the audit recorder the configuration asks for; the
// returned closer closes an audit file.
func (s *Server) newRecorder() (*audit.Recorder, io.Closer, error) {
	cfg := s.cfg.Audit
	keys, err := SealKeys(s.cfg)
	if err != nil {
		return nil, nil, err
	}
	o := audit.Options{Key: keys[0], Log: s.opt.Log, Now: s.opt.Now}
	if *cfg.Store {
		as, ok := s.store.(storage.AuditStore)
		if !ok {
			return nil, nil, fmt.Errorf("audit: the %s store cannot keep an audit trail", s.cfg.Storage.Type)
		}
		o.Store = as
	}
	if cfg.Stdout {
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
