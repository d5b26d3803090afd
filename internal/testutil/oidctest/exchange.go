package oidctest

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The op library implements the token exchange grant (RFC 8693) when its
// storage implements op.TokenExchangeStorage; these methods are that
// storage's part. The provider exchanges access tokens it issued, still
// live and issued to the exchanging client, for access tokens with the
// requested audience and scopes. Clients authenticate with HTTP Basic, as
// the library requires for this grant.
var _ op.TokenExchangeStorage = (*store)(nil)

// ValidateTokenExchangeRequest applies this provider's policy; the library
// has authenticated the client and read the subject token already.
func (s *store) ValidateTokenExchangeRequest(_ context.Context, r op.TokenExchangeRequest) error {
	if r.GetRequestedTokenType() == "" {
		r.SetRequestedTokenType(oidc.AccessTokenType)
	}
	if r.GetRequestedTokenType() != oidc.AccessTokenType || r.GetExchangeSubjectTokenType() != oidc.AccessTokenType {
		return oidc.ErrInvalidRequest().WithDescription("only access tokens are exchanged, for access tokens")
	}
	if len(r.GetAudience()) == 0 {
		return oidc.ErrInvalidTarget().WithDescription("audience is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.access[r.GetExchangeSubjectTokenIDOrToken()]
	switch {
	case !ok || time.Now().After(at.expires):
		return oidc.ErrInvalidGrant().WithDescription("subject_token is expired or revoked")
	case at.clientID != r.GetClientID():
		return oidc.ErrInvalidGrant().WithDescription("subject_token was not issued to this client")
	case len(s.exchangeAudiences) > 0 && !containsAll(s.exchangeAudiences, r.GetAudience()):
		return oidc.ErrInvalidTarget().WithDescription("this audience may not be requested")
	}
	return nil
}

func containsAll(allowed, want []string) bool {
	for _, w := range want {
		if !slices.Contains(allowed, w) {
			return false
		}
	}
	return true
}

// CreateTokenExchangeRequest needs no record: the issued token is.
func (s *store) CreateTokenExchangeRequest(context.Context, op.TokenExchangeRequest) error {
	return nil
}

// GetPrivateClaimsFromTokenExchangeRequest puts the granted scopes in a JWT
// access token (RFC 9068, section 2.2.3).
func (s *store) GetPrivateClaimsFromTokenExchangeRequest(_ context.Context, r op.TokenExchangeRequest) (map[string]any, error) {
	return map[string]any{"scope": strings.Join(r.GetScopes(), " ")}, nil
}

// SetUserinfoFromTokenExchangeRequest fills ID tokens issued by exchange
// (not requested by Drawbridge, but part of the interface).
func (s *store) SetUserinfoFromTokenExchangeRequest(_ context.Context, ui *oidc.UserInfo, r op.TokenExchangeRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at, ok := s.access[r.GetExchangeSubjectTokenIDOrToken()]; ok {
		return s.fillUserinfo(ui, at.username, r.GetScopes())
	}
	return errNotFound
}

// exchangedUser is the user an exchanged token speaks for. Called with
// s.mu held.
func (s *store) exchangedUser(r op.TokenExchangeRequest) string {
	if at, ok := s.access[r.GetExchangeSubjectTokenIDOrToken()]; ok {
		return at.username
	}
	return ""
}
