package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/backendauth"
	"github.com/drawbridge-mcp/drawbridge/internal/compose"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/gateway"
	"github.com/drawbridge-mcp/drawbridge/internal/sseclient"
	"github.com/drawbridge-mcp/drawbridge/internal/stdio"
)

// composeVersion is what a composed server reports as its implementation
// version.
const composeVersion = "drawbridge-compose"

// memberKey names a composed server's member in the credentials map:
// neither name can hold a slash.
func memberKey(server, member string) string { return server + "/" + member }

// memberField names a member in errors, as the configuration's own
// problems do.
func memberField(i, j int) string { return fmt.Sprintf("servers[%d].compose[%d]", i, j) }

// composedServers are the composed servers by name, with the parts the
// console shows.
type composedServers map[string]*compose.Server

// newComposedServers builds each composed server (docs/virtual-servers.md)
// and lists its members once: a name two members would both show, or a
// filter or override that names nothing, stops the start; a member that
// does not answer is logged, and left out until it does. Every problem
// of every server is reported, not only the first.
func newComposedServers(ctx context.Context, cfg *config.Config, opt Options, c core, creds map[string]backendauth.Credential, apis *openAPISources, open *cleanup) (composedServers, error) {
	out := composedServers{}
	var errs []error
	for i := range cfg.Backends {
		sv := &cfg.Backends[i]
		if sv.Compose == nil {
			continue
		}
		s, err := newComposedServer(ctx, cfg, i, opt, c, creds, apis, open)
		if err != nil {
			errs = append(errs, fmt.Errorf("servers[%d] (%s): %w", i, sv.Name, err))
			continue
		}
		if cerrs := startCheck(ctx, s, sv, opt); len(cerrs) > 0 {
			errs = append(errs, composeProblems(i, sv.Name, cerrs)...)
			continue
		}
		out[sv.Name] = s
	}
	return out, errors.Join(errs...)
}

// startCheck lists the members, within a bounded time, and returns the
// problems that stop the start; an unreachable member is only logged.
func startCheck(ctx context.Context, s *compose.Server, sv *config.Backend, opt Options) []error {
	ctx, cancel := context.WithTimeout(ctx, config.DefaultComposeCheckTimeout)
	defer cancel()
	var errs []error
	for _, err := range s.Check(ctx) {
		if errors.Is(err, compose.ErrUnreachable) {
			opt.Log.Warn("composed server member unreachable at start; its tools are left out until it answers", "server", sv.Name, "err", err)
			continue
		}
		errs = append(errs, err)
	}
	return errs
}

// composeProblems names the server in each of its problems.
func composeProblems(i int, name string, errs []error) []error {
	out := make([]error, len(errs))
	for k, err := range errs {
		out[k] = fmt.Errorf("servers[%d] (%s): %w", i, name, err)
	}
	return out
}

// newComposedServer builds one composed server: each member's in-process
// handler (a stdio bridge, an OpenAPI server) if it has one, its client,
// then the server, closed with the rest. Its OpenAPI members are added
// to apis, to be reloaded.
func newComposedServer(ctx context.Context, cfg *config.Config, i int, opt Options, c core, creds map[string]backendauth.Credential, apis *openAPISources, open *cleanup) (*compose.Server, error) {
	sv := &cfg.Backends[i]
	members := make([]compose.Member, 0, len(sv.Compose))
	var errs []error
	for j := range sv.Compose {
		m := &sv.Compose[j]
		cred := creds[memberKey(sv.Name, m.Name)]
		h, err := memberHandler(ctx, sv, m, opt, cred, apis, open)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", memberField(i, j), err))
			continue
		}
		members = append(members, memberOptions(sv, m, opt, cred, h))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	s, err := compose.New(composeOptions(sv, opt, members, newComposeObserver(sv.Name, opt, c)))
	if err != nil {
		return nil, err
	}
	open.add("composed server "+sv.Name, s.Close)
	apis.composed(sv.Name, s.ToolsChanged)
	return s, nil
}

// memberHandler is the in-process handler of a stdio, OpenAPI or SSE
// member (nil for a Streamable HTTP one). An OpenAPI member's client attaches the
// member's headers and credential itself, for the caller it finds in the
// request's context, as an OpenAPI server's does.
func memberHandler(ctx context.Context, sv *config.Backend, m *config.Member, opt Options, cred backendauth.Credential, apis *openAPISources, open *cleanup) (http.Handler, error) {
	mb := sv.MemberServer(m)
	switch {
	case m.OpenAPI != nil:
		s, err := newOpenAPIBackend(ctx, &mb, opt, cred)
		if err != nil {
			return nil, fmt.Errorf("openapi: %w", err)
		}
		apis.add(sv.Name, m.Name, m.OpenAPI.Refresh.D(), s)
		return s, nil
	case len(m.Command) > 0:
		bo := bridgeOptions(&mb, opt)
		bo.Logger = opt.Log.With("server", sv.Name, "member", m.Name)
		b, err := stdio.New(bo)
		if err != nil {
			return nil, err
		}
		open.add("stdio bridge of "+memberKey(sv.Name, m.Name), b.Close)
		return b, nil
	case m.Transport == gateway.TransportSSE:
		return sseMember(sv, m, &mb, opt, cred, open)
	}
	return nil, nil
}

// sseMember bridges a member that speaks the 2024-11-05 HTTP+SSE
// transport: each client session gets its own SSE connection, opened
// with the member's credential for that session's caller, and the bridge
// serves it as Streamable HTTP (docs/virtual-servers.md).
func sseMember(sv *config.Backend, m *config.Member, mb *config.Backend, opt Options, cred backendauth.Credential, open *cleanup) (http.Handler, error) {
	log := opt.Log.With("server", sv.Name, "member", m.Name)
	bo := bridgeOptions(mb, opt)
	bo.Command, bo.Mode, bo.Logger = nil, stdio.PerSession, log
	bo.Dial = sseclient.Dialer(sseclient.Options{URL: m.Upstream, Timeout: m.Timeout.D(), Log: log,
		Client: &http.Client{Transport: upstreamTransport(m, opt, cred), CheckRedirect: noRedirects}})
	b, err := stdio.New(bo)
	if err != nil {
		return nil, err
	}
	open.add("sse bridge of "+memberKey(sv.Name, m.Name), b.Close)
	return b, nil
}

// upstreamTransport sends to an upstream member with its headers and
// credential.
func upstreamTransport(m *config.Member, opt Options, cred backendauth.Credential) http.RoundTripper {
	base := opt.BackendTransport
	if base == nil {
		base = gateway.NewBackendTransport(m.Timeout.D(), m.BackendHTTP2)
	}
	return &memberTransport{base: base, headers: m.Headers, cred: cred, needsUser: needsUser(m.Auth.Mode), forwardIdentity: m.ForwardIdentity}
}

// memberOptions is one member for the composed server: how to reach it
// and the names it shows.
func memberOptions(sv *config.Backend, m *config.Member, opt Options, cred backendauth.Credential, h http.Handler) compose.Member {
	url, rt := m.Upstream, http.RoundTripper(nil)
	if h != nil {
		// Any URL: the transport serves every request in-process.
		url, rt = "http://"+m.Name+".member.invalid/mcp", compose.HandlerTransport(h)
	} else {
		rt = upstreamTransport(m, opt, cred)
	}
	overrides := make(map[string]compose.Override, len(m.Overrides))
	for k, o := range m.Overrides {
		overrides[k] = compose.Override{Name: o.Name, Title: o.Title, Description: o.Description}
	}
	return compose.Member{Name: m.Name, URL: url, NeedsUser: needsUser(m.Auth.Mode), Timeout: m.Timeout.D(),
		Client: &http.Client{Transport: rt, CheckRedirect: noRedirects},
		Prefix: m.Prefix, Include: m.Include, Exclude: m.Exclude, Overrides: overrides}
}

// needsUser says a credential mode acts for the caller: nothing can be
// listed with it before someone calls.
func needsUser(mode string) bool {
	switch mode {
	case "identity_assertion", "token_exchange", "entra_obo", "upstream_token":
		return true
	}
	return false
}

// noRedirects: a member's redirect is its answer, never followed (a
// member must not send the gateway, with its credential, elsewhere).
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// composeOptions configures a composed server.
func composeOptions(sv *config.Backend, opt Options, members []compose.Member, obs compose.Observer) compose.Options {
	return compose.Options{Name: sv.Name, Title: sv.Title, Version: composeVersion, Members: members,
		Log: opt.Log.With("server", sv.Name), KeepAlive: sv.KeepAlive.D(), Detach: gateway.Detach, Observer: obs}
}
