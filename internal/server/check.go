package server

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/backendauth"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/oidc"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"github.com/drawbridge-mcp/drawbridge/internal/vault"
)

// Check finds the problems New would stop at that the configuration's own
// validation cannot see, all of them, with the stages New runs: a TLS
// certificate that does not load, policies that do not compile, an
// identity provider that cannot be set up (its client certificate), and
// backend credentials that cannot be built (header files, client
// certificates, token endpoints), and OpenAPI documents that do not load or
// do not give the tools configured, and composed servers whose members
// clash or do not answer. It opens no store and contacts nothing but the
// URLs of OpenAPI documents and the members of composed servers (and the
// token endpoints of their client_credentials).
//
// known are the problems validation already reported: a section with one
// (tls, identity, servers[i].auth) is not built again, so that the same
// mistake is not reported twice.
func Check(ctx context.Context, cfg *config.Config, known []error) []error {
	opt := Options{Log: slog.New(slog.DiscardHandler)}.withDefaults()
	var errs []error
	if !reported(known, "tls") {
		if _, err := newServing(cfg, opt); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := CompilePolicies(cfg); err != nil {
		errs = append(errs, unjoin(err)...)
	}
	var in signIn
	if !reported(known, "identity") {
		var err error
		if in, err = newSignIn(ctx, cfg, opt); err != nil {
			errs = append(errs, err)
		}
	}
	// Stand-ins for what only a running server has: building a credential
	// keeps them and calls nothing.
	parts := credParts{Keys: &tokens.Keys{}, Vault: &vault.Vault{}, Upstream: in.upstream}
	if parts.Upstream == nil {
		parts.Upstream = &oidc.Provider{}
	}
	for i := range cfg.Backends {
		field := authField(i)
		if reported(known, field) {
			continue
		}
		if _, err := backendCredential(ctx, cfg, opt, &cfg.Backends[i], field, parts); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, checkOpenAPI(ctx, cfg, opt, known)...)
	return append(errs, checkComposed(ctx, cfg, opt, known, parts)...)
}

// checkComposed builds each composed server as New would and lists its
// members: credentials that cannot be built, OpenAPI members whose
// documents do not load, names two members would both show, filters and
// overrides that name nothing, and members that do not answer (which
// New only warns about).
func checkComposed(ctx context.Context, cfg *config.Config, opt Options, known []error, parts credParts) []error {
	var errs []error
	for i := range cfg.Backends {
		sv := &cfg.Backends[i]
		if sv.Compose == nil || reported(known, fmt.Sprintf("servers[%d]", i)) {
			continue
		}
		creds := map[string]backendauth.Credential{}
		if cerrs := memberCredentials(ctx, cfg, opt, i, parts, creds); len(cerrs) > 0 {
			errs = append(errs, cerrs...)
			continue
		}
		errs = append(errs, checkComposedServer(ctx, cfg, i, opt, creds)...)
	}
	return errs
}

func checkComposedServer(ctx context.Context, cfg *config.Config, i int, opt Options, creds map[string]backendauth.Credential) []error {
	open := &cleanup{}
	defer func() { _ = open.close() }()
	s, err := newComposedServer(ctx, cfg, i, opt, core{}, creds, newOpenAPISources(opt, nil), open)
	if err != nil {
		return unjoin(err)
	}
	ctx, cancel := context.WithTimeout(ctx, config.DefaultComposeCheckTimeout)
	defer cancel()
	return composeProblems(i, cfg.Backends[i].Name, s.Check(ctx))
}

// checkOpenAPI loads each OpenAPI server's document and builds its tools
// as New would: an unreadable or unreachable document, filter entries that
// match no operation, tool-name collisions.
func checkOpenAPI(ctx context.Context, cfg *config.Config, opt Options, known []error) []error {
	var errs []error
	for i := range cfg.Backends {
		sv := &cfg.Backends[i]
		if sv.OpenAPI == nil || reported(known, fmt.Sprintf("servers[%d]", i)) {
			continue
		}
		if _, err := newOpenAPIBackend(ctx, sv, opt, nil); err != nil {
			errs = append(errs, fmt.Errorf("servers[%d].openapi: %w", i, err))
		}
	}
	return errs
}

// reported says whether one of the problems is about section (or a key
// under it), with or without the line it was found on.
func reported(problems []error, section string) bool {
	for _, p := range problems {
		msg := p.Error()
		if m := atLine.FindString(msg); m != "" {
			msg = msg[len(m):]
		}
		rest, ok := strings.CutPrefix(msg, section)
		if ok && (rest == "" || strings.ContainsRune(":.[", rune(rest[0]))) {
			return true
		}
	}
	return false
}

var atLine = regexp.MustCompile(`^line \d+: `)

// unjoin lists the errors errors.Join joined, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
