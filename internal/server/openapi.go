package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/drawbridge-mcp/drawbridge/internal/backendauth"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/gateway"
	"github.com/drawbridge-mcp/drawbridge/internal/openapi"
	"github.com/drawbridge-mcp/drawbridge/internal/openapi/opfilter"
)

// openAPISettings are what the openapi package takes for one server.
type openAPISettings struct {
	Source openapi.Source
	Filter opfilter.Filter
	Client openapi.Client
}

// openAPIOptions configures an OpenAPI server (docs/openapi.md): the
// document, the operations it serves, and how calls are sent. The
// credential is applied by the client, for the caller the gateway
// verified, because an in-process handler is not proxied.
func openAPIOptions(sv *config.Backend, opt Options, cred backendauth.Credential) (openAPISettings, error) {
	o := sv.OpenAPI
	base, err := url.Parse(o.BaseURL)
	if err != nil {
		return openAPISettings{}, fmt.Errorf("server %s: openapi.base_url: %w", sv.Name, err)
	}
	return openAPISettings{
		Source: openapi.Source{Spec: o.Spec, MaxBytes: config.DefaultOpenAPIMaxSpecBytes,
			HTTPClient: &http.Client{Transport: opt.BackendTransport, Timeout: config.DefaultOpenAPISpecFetchLimit}},
		Filter: opfilter.Filter{Include: o.Include, Exclude: o.Exclude},
		Client: openapi.Client{Base: base, HTTP: &http.Client{Transport: opt.BackendTransport}, Headers: sv.Headers,
			Credential: cred, Caller: gateway.Claims, Timeout: o.Timeout.D(), MaxResponseBytes: o.MaxResponseBytes,
			Log: opt.Log.With("server", sv.Name)},
	}, nil
}

// newOpenAPIBackends loads each OpenAPI server's document and builds its
// handler. Every problem of every server is reported, not only the first:
// drawbridge check shows them all.
func newOpenAPIBackends(ctx context.Context, cfg *config.Config, opt Options, creds map[string]backendauth.Credential, apis *openAPISources) (map[string]http.Handler, error) {
	handlers := map[string]http.Handler{}
	var errs []error
	for i := range cfg.Backends {
		sv := &cfg.Backends[i]
		if sv.OpenAPI == nil {
			continue
		}
		s, err := newOpenAPIBackend(ctx, sv, opt, creds[sv.Name])
		if err != nil {
			errs = append(errs, fmt.Errorf("servers[%d].openapi: %w", i, err))
			continue
		}
		apis.add(sv.Name, "", sv.OpenAPI.Refresh.D(), s)
		handlers[sv.Name] = s
	}
	return handlers, errors.Join(errs...)
}

// newOpenAPIBackend loads one document and builds the server of its
// tools, which can read it again later (openAPISources).
func newOpenAPIBackend(ctx context.Context, sv *config.Backend, opt Options, cred backendauth.Credential) (*openapi.Server, error) {
	s, err := openAPIOptions(sv, opt, cred)
	if err != nil {
		return nil, err
	}
	client := s.Client
	srv, set, err := openapi.NewServer(ctx, openapi.ServerOptions{Name: sv.Name, Title: sv.Title, Source: s.Source, Filter: s.Filter, Client: &client})
	if err != nil {
		return nil, err
	}
	for _, sk := range set.Skipped {
		s.Client.Log.Warn("openapi operation left out", "method", sk.Method, "path", sk.Path, "operation_id", sk.OperationID, "reason", sk.Reason)
	}
	return srv, nil
}
