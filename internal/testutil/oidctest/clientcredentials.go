package oidctest

import (
	"context"
	"crypto/subtle"
	"errors"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// The op library implements the client credentials grant (RFC 6749,
// section 4.4) when its storage implements op.ClientCredentialsStorage.
// Any client with a secret may use it; its tokens name the client itself
// as the subject. Options.ExchangeAudiences limits the scopes asked for
// the same way it limits exchanged audiences.
var _ op.ClientCredentialsStorage = (*store)(nil)

func (s *store) ClientCredentials(_ context.Context, clientID, secret string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[clientID]
	if !ok || c.secret == "" || subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1 {
		return nil, errors.New("oidctest: invalid client credentials")
	}
	return c, nil
}

func (s *store) ClientCredentialsTokenRequest(_ context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	return &machineRequest{clientID: clientID, scopes: slices.Clone(scopes)}, nil
}

// machineRequest is a client acting for itself.
type machineRequest struct {
	clientID string
	scopes   []string
}

func (m *machineRequest) GetSubject() string    { return m.clientID }
func (m *machineRequest) GetAudience() []string { return []string{m.clientID} }
func (m *machineRequest) GetScopes() []string   { return m.scopes }
func (m *machineRequest) GetClientID() string   { return m.clientID }
