package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/openapi"
	"github.com/drawbridge-mcp/drawbridge/internal/telemetry"
)

// openAPISources are the OpenAPI documents this replica serves, plain
// servers' and composed servers' members alike, so that they can be read
// again (docs/openapi.md, "Reloading a document"): all of them on SIGHUP,
// each on its own openapi.refresh timer.
type openAPISources struct {
	list    []*openAPISource
	log     *slog.Logger
	metrics *telemetry.Metrics // nil when metrics are off
	// toolsChanged tells a composed server, by name, that a member's
	// tools changed (compose.Server.ToolsChanged).
	toolsChanged map[string]func()
}

// openAPISource is one document and where it is served.
type openAPISource struct {
	// server is the configured server; member the composed server's
	// member, "" for a plain server.
	server, member string
	refresh        time.Duration
	srv            *openapi.Server
}

func newOpenAPISources(opt Options, m *telemetry.Metrics) *openAPISources {
	return &openAPISources{log: opt.Log, metrics: m, toolsChanged: map[string]func(){}}
}

// composed registers what tells composed server name that one of its
// OpenAPI members' tools changed: its legacy-era clients then get
// notifications/tools/list_changed. A plain OpenAPI server is stateless
// and has no stream to send one on.
func (o *openAPISources) composed(name string, toolsChanged func()) {
	o.toolsChanged[name] = toolsChanged
}

func (o *openAPISources) add(server, member string, refresh time.Duration, srv *openapi.Server) {
	o.list = append(o.list, &openAPISource{server: server, member: member, refresh: refresh, srv: srv})
}

// reloadAll reloads every document, one after the other, and returns
// every failure; each failed one keeps its tools.
func (o *openAPISources) reloadAll(ctx context.Context) error {
	var errs []error
	for _, s := range o.list {
		errs = append(errs, o.reload(ctx, s))
	}
	return errors.Join(errs...)
}

// reload reads one document again. A failure is logged and counted, and
// changes nothing: Server.Reload swaps only a tool set that built. The
// error names the document without what a URL may carry (openapi.Load
// redacts it).
func (o *openAPISources) reload(ctx context.Context, s *openAPISource) error {
	log := o.log.With("server", s.server)
	if s.member != "" {
		log = log.With("member", s.member)
	}
	set, changed, err := s.srv.Reload(ctx)
	if err != nil {
		o.metrics.OpenAPIReload(s.server, s.member, "failed")
		log.Warn("openapi document reload failed; the tools already served stay", "err", err)
		return fmt.Errorf("%s: %w", s.name(), err)
	}
	o.metrics.OpenAPIReload(s.server, s.member, "ok")
	log.Info("openapi document reloaded", "tools", len(set.Tools), "left_out", len(set.Skipped), "changed", changed)
	if f := o.toolsChanged[s.server]; changed && s.member != "" && f != nil {
		f()
	}
	return nil
}

// reloader reloads the documents of one server (its own, or its
// members'): the admin API's reload action. Nil when it has none.
func (o *openAPISources) reloader(server string) func(context.Context) error {
	var mine []*openAPISource
	for _, s := range o.list {
		if s.server == server {
			mine = append(mine, s)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	return func(ctx context.Context) error {
		var errs []error
		for _, s := range mine {
			errs = append(errs, o.reload(ctx, s))
		}
		return errors.Join(errs...)
	}
}

func (s *openAPISource) name() string {
	if s.member != "" {
		return memberKey(s.server, s.member)
	}
	return s.server
}

// loops are the refresh timers of the documents that have one.
func (o *openAPISources) loops() []func(context.Context) {
	var out []func(context.Context)
	for _, s := range o.list {
		if s.refresh <= 0 {
			continue
		}
		r := refresher{every: s.refresh, jitter: rand.Int64N, after: newTimer,
			reload: func(ctx context.Context) { _ = o.reload(ctx, s) }}
		out = append(out, r.run)
	}
	return out
}

// refresher calls reload every so often until its context ends. Each
// wait is every plus up to a tenth of it at random, so that the replicas
// of a deployment, and documents on one API server, do not all fetch at
// once.
type refresher struct {
	every time.Duration
	// jitter returns a number in [0, n) (rand.Int64N); after starts a
	// timer and returns its channel and its Stop. Tests inject both.
	jitter func(n int64) int64
	after  func(time.Duration) (<-chan time.Time, func() bool)
	reload func(context.Context)
}

func (r refresher) run(ctx context.Context) {
	for {
		c, stop := r.after(r.every + time.Duration(r.jitter(int64(r.every/10)+1)))
		select {
		case <-ctx.Done():
			stop()
			return
		case <-c:
			r.reload(ctx)
		}
	}
}

func newTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}
