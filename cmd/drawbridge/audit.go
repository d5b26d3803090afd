package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var auditCmd = &command{
	name:    "audit",
	summary: "verify the audit trail's hash chain, or list events",
	about: `Works on the audit trail kept in the store named by the configuration (audit.store):
verify checks that no record was changed, inserted or removed, list prints events.`,
	examples: []string{
		"drawbridge audit verify --config drawbridge.yaml",
		"drawbridge audit list --config drawbridge.yaml --user local:alice --since 24h",
	},
	subs: []*command{
		{
			name:    "verify",
			summary: "check that every record is intact and chained to the one before",
			about: `Checks every record of the audit trail against its seal and the seal of the record before,
with the configuration's encryption keys, and prints each problem. Exits 1 when the trail is
not intact. It prints the last seal: compare it with your exported log to detect records cut
from the end.`,
			examples: []string{"drawbridge audit verify --config drawbridge.yaml"},
			flags: func(fs *flag.FlagSet) action {
				return auditAction(fs, func(ctx context.Context, cfg *config.Config, as storage.AuditStore, stdout io.Writer) error {
					return verifyAudit(ctx, as, cfg, stdout)
				})
			},
		},
		{
			name:    "list",
			summary: "print events as JSON lines",
			about: `Prints audit events as JSON lines, one event a line with its sequence number (seq),
filtered by the flags.`,
			examples: []string{
				"drawbridge audit list --config drawbridge.yaml --since 24h",
				"drawbridge audit list --config drawbridge.yaml --user local:alice --tool save_snippet",
			},
			flags: func(fs *flag.FlagSet) action {
				var f storage.AuditFilter
				var since time.Duration
				fs.StringVar(&f.Subject, "user", "", "only this `subject`")
				fs.StringVar(&f.ClientID, "client", "", "only this `client_id`")
				fs.StringVar(&f.Server, "server", "", "only this MCP `server`")
				fs.StringVar(&f.Name, "tool", "", "only this tool, prompt or resource (`name`)")
				fs.StringVar(&f.Type, "type", "", "only this event `type`")
				fs.DurationVar(&since, "since", 0, "only events newer than this `duration`, such as 24h")
				fs.IntVar(&f.Limit, "limit", 1000, "at most `n` events")
				return auditAction(fs, func(ctx context.Context, _ *config.Config, as storage.AuditStore, stdout io.Writer) error {
					if since > 0 {
						f.From = time.Now().Add(-since)
					}
					return listAudit(ctx, as, f, stdout)
				})
			},
		},
	},
}

// auditAction opens the configuration's store and runs fn on its audit
// trail.
func auditAction(fs *flag.FlagSet, fn func(context.Context, *config.Config, storage.AuditStore, io.Writer) error) action {
	return storeAction(fs, func(ctx context.Context, cfg *config.Config, st storage.Store, stdout io.Writer) error {
		return fn(ctx, cfg, st, stdout)
	})
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
