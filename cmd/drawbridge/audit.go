package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// runAudit: drawbridge audit verify|list --config FILE.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "list") {
		fmt.Fprintln(stderr, "usage: drawbridge audit verify|list --config FILE [flags]")
		return errUsage
	}
	fs := newFlags("audit "+args[0], stderr)
	path := fs.String("config", "drawbridge.yaml", "configuration file")
	var f storage.AuditFilter
	var since time.Duration
	if args[0] == "list" {
		fs.StringVar(&f.Subject, "user", "", "only this subject")
		fs.StringVar(&f.ClientID, "client", "", "only this client id")
		fs.StringVar(&f.Server, "server", "", "only this MCP server")
		fs.StringVar(&f.Name, "tool", "", "only this tool, prompt or resource")
		fs.StringVar(&f.Type, "type", "", "only this event type")
		fs.DurationVar(&since, "since", 0, "only events newer than this, e.g. 24h")
		fs.IntVar(&f.Limit, "limit", 1000, "at most this many events")
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	st, err := server.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	as, ok := st.(storage.AuditStore)
	if !ok {
		return errors.New("this store keeps no audit trail")
	}
	if args[0] == "list" {
		if since > 0 {
			f.From = time.Now().Add(-since)
		}
		return listAudit(ctx, as, f, stdout)
	}
	return verifyAudit(ctx, as, cfg, stdout)
}

func verifyAudit(ctx context.Context, as storage.AuditStore, cfg *config.Config, stdout io.Writer) error {
	keys, err := server.SealKeys(cfg)
	if err != nil {
		return err
	}
	rep, err := audit.Verify(ctx, as, keys)
	if err != nil {
		return err
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(stdout, p)
	}
	if !rep.OK() {
		return fmt.Errorf("the audit trail is NOT intact: %d problem(s) in %d records", len(rep.Problems), rep.Records)
	}
	fmt.Fprintf(stdout, "audit trail intact: %d records; last record %d sealed %s\n", rep.Records, rep.LastSeq, hex.EncodeToString(rep.LastSeal))
	fmt.Fprintln(stdout, "(compare the last seal with your exported JSON-lines log to detect records cut from the end)")
	return nil
}

func listAudit(ctx context.Context, as storage.AuditStore, f storage.AuditFilter, stdout io.Writer) error {
	recs, err := as.ListAudit(ctx, f)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	for _, r := range recs {
		var e map[string]any
		if err := json.Unmarshal(r.Payload, &e); err != nil {
			return fmt.Errorf("record %d: %w", r.Seq, err)
		}
		e["seq"] = r.Seq
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	return nil
}
