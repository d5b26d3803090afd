package telemetry

import (
	"context"
	"errors"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// instrumentedStore times every storage operation.
type instrumentedStore struct {
	s storage.Store
	m *Metrics
}

var _ storage.Store = (*instrumentedStore)(nil)
var _ storage.AuditStore = (*instrumentedStore)(nil)

// InstrumentStore returns s with every operation timed into m. The
// result is an AuditStore when s is.
func InstrumentStore(s storage.Store, m *Metrics) storage.Store {
	if m == nil {
		return s
	}
	return &instrumentedStore{s: s, m: m}
}

var errNoAudit = errors.New("storage: this store keeps no audit trail")

// observed treats "not found" and the other expected sentinels as success:
// they are answers, not failures of the store.
func (i *instrumentedStore) observe(op string, start time.Time, err error) {
	if err != nil && (errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrAlreadyExists) ||
		errors.Is(err, storage.ErrAlreadyUsed) || errors.Is(err, storage.ErrReused) || errors.Is(err, storage.ErrRevoked)) {
		err = nil
	}
	i.m.ObserveStore(op, start, err)
}

func (i *instrumentedStore) CreateClient(ctx context.Context, c storage.Client) error {
	start := time.Now()
	err := i.s.CreateClient(ctx, c)
	i.observe("create_client", start, err)
	return err
}

func (i *instrumentedStore) GetClient(ctx context.Context, id string) (storage.Client, error) {
	start := time.Now()
	v, err := i.s.GetClient(ctx, id)
	i.observe("get_client", start, err)
	return v, err
}

func (i *instrumentedStore) UpdateClient(ctx context.Context, id string, fn func(storage.Client) (storage.Client, error)) error {
	start := time.Now()
	err := i.s.UpdateClient(ctx, id, fn)
	i.observe("update_client", start, err)
	return err
}

func (i *instrumentedStore) DeleteClient(ctx context.Context, id string) error {
	start := time.Now()
	err := i.s.DeleteClient(ctx, id)
	i.observe("delete_client", start, err)
	return err
}

func (i *instrumentedStore) ListClients(ctx context.Context, after string, limit int) ([]storage.Client, error) {
	start := time.Now()
	v, err := i.s.ListClients(ctx, after, limit)
	i.observe("list_clients", start, err)
	return v, err
}

func (i *instrumentedStore) GetConsent(ctx context.Context, subject, clientID string) (storage.Consent, error) {
	start := time.Now()
	v, err := i.s.GetConsent(ctx, subject, clientID)
	i.observe("get_consent", start, err)
	return v, err
}

func (i *instrumentedStore) UpsertConsent(ctx context.Context, c storage.Consent) (storage.Consent, error) {
	start := time.Now()
	v, err := i.s.UpsertConsent(ctx, c)
	i.observe("upsert_consent", start, err)
	return v, err
}

func (i *instrumentedStore) DeleteConsent(ctx context.Context, subject, clientID string) error {
	start := time.Now()
	err := i.s.DeleteConsent(ctx, subject, clientID)
	i.observe("delete_consent", start, err)
	return err
}

func (i *instrumentedStore) ListConsents(ctx context.Context, subject string) ([]storage.Consent, error) {
	start := time.Now()
	v, err := i.s.ListConsents(ctx, subject)
	i.observe("list_consents", start, err)
	return v, err
}

func (i *instrumentedStore) PutClientBlock(ctx context.Context, b storage.ClientBlock) error {
	start := time.Now()
	err := i.s.PutClientBlock(ctx, b)
	i.observe("put_client_block", start, err)
	return err
}

func (i *instrumentedStore) DeleteClientBlock(ctx context.Context, kind, value string) error {
	start := time.Now()
	err := i.s.DeleteClientBlock(ctx, kind, value)
	i.observe("delete_client_block", start, err)
	return err
}

func (i *instrumentedStore) ListClientBlocks(ctx context.Context) ([]storage.ClientBlock, error) {
	start := time.Now()
	v, err := i.s.ListClientBlocks(ctx)
	i.observe("list_client_blocks", start, err)
	return v, err
}

func (i *instrumentedStore) FindClientBlock(ctx context.Context, clientID string, hosts []string) (storage.ClientBlock, error) {
	start := time.Now()
	v, err := i.s.FindClientBlock(ctx, clientID, hosts)
	i.observe("find_client_block", start, err)
	return v, err
}

func (i *instrumentedStore) CreateAuthRequest(ctx context.Context, r storage.AuthRequest) error {
	start := time.Now()
	err := i.s.CreateAuthRequest(ctx, r)
	i.observe("create_auth_request", start, err)
	return err
}

func (i *instrumentedStore) GetAuthRequest(ctx context.Context, id string, now time.Time) (storage.AuthRequest, error) {
	start := time.Now()
	v, err := i.s.GetAuthRequest(ctx, id, now)
	i.observe("get_auth_request", start, err)
	return v, err
}

func (i *instrumentedStore) UpdateAuthRequest(ctx context.Context, id string, now time.Time, fn func(storage.AuthRequest) (storage.AuthRequest, error)) error {
	start := time.Now()
	err := i.s.UpdateAuthRequest(ctx, id, now, fn)
	i.observe("update_auth_request", start, err)
	return err
}

func (i *instrumentedStore) DeleteAuthRequest(ctx context.Context, id string) error {
	start := time.Now()
	err := i.s.DeleteAuthRequest(ctx, id)
	i.observe("delete_auth_request", start, err)
	return err
}

func (i *instrumentedStore) CreateAuthCode(ctx context.Context, c storage.AuthCode) error {
	start := time.Now()
	err := i.s.CreateAuthCode(ctx, c)
	i.observe("create_auth_code", start, err)
	return err
}

func (i *instrumentedStore) ConsumeAuthCode(ctx context.Context, hash string, now time.Time) (storage.AuthCode, error) {
	start := time.Now()
	v, err := i.s.ConsumeAuthCode(ctx, hash, now)
	i.observe("consume_auth_code", start, err)
	return v, err
}

func (i *instrumentedStore) CreateGrant(ctx context.Context, g storage.Grant, rt *storage.RefreshToken) error {
	start := time.Now()
	err := i.s.CreateGrant(ctx, g, rt)
	i.observe("create_grant", start, err)
	return err
}

func (i *instrumentedStore) GetGrant(ctx context.Context, id string) (storage.Grant, error) {
	start := time.Now()
	v, err := i.s.GetGrant(ctx, id)
	i.observe("get_grant", start, err)
	return v, err
}

func (i *instrumentedStore) ListGrants(ctx context.Context, f storage.GrantFilter) ([]storage.Grant, error) {
	start := time.Now()
	v, err := i.s.ListGrants(ctx, f)
	i.observe("list_grants", start, err)
	return v, err
}

func (i *instrumentedStore) RevokeGrant(ctx context.Context, id, reason string, now time.Time) error {
	start := time.Now()
	err := i.s.RevokeGrant(ctx, id, reason, now)
	i.observe("revoke_grant", start, err)
	return err
}

func (i *instrumentedStore) RevokedGrantsSince(ctx context.Context, since time.Time) ([]storage.RevokedGrant, error) {
	start := time.Now()
	v, err := i.s.RevokedGrantsSince(ctx, since)
	i.observe("revoked_grants_since", start, err)
	return v, err
}

func (i *instrumentedStore) GetRefreshToken(ctx context.Context, hash string, now time.Time) (storage.RefreshToken, error) {
	start := time.Now()
	v, err := i.s.GetRefreshToken(ctx, hash, now)
	i.observe("get_refresh_token", start, err)
	return v, err
}

func (i *instrumentedStore) RotateRefreshToken(ctx context.Context, r storage.Rotation) (storage.Grant, error) {
	start := time.Now()
	v, err := i.s.RotateRefreshToken(ctx, r)
	i.observe("rotate_refresh_token", start, err)
	return v, err
}

func (i *instrumentedStore) PutUpstreamSession(ctx context.Context, s storage.UpstreamSession) error {
	start := time.Now()
	err := i.s.PutUpstreamSession(ctx, s)
	i.observe("put_upstream_session", start, err)
	return err
}

func (i *instrumentedStore) GetUpstreamSession(ctx context.Context, id string, now time.Time) (storage.UpstreamSession, error) {
	start := time.Now()
	v, err := i.s.GetUpstreamSession(ctx, id, now)
	i.observe("get_upstream_session", start, err)
	return v, err
}

func (i *instrumentedStore) DeleteUpstreamSession(ctx context.Context, id string) error {
	start := time.Now()
	err := i.s.DeleteUpstreamSession(ctx, id)
	i.observe("delete_upstream_session", start, err)
	return err
}

func (i *instrumentedStore) CreateSigningKey(ctx context.Context, k storage.SigningKey) error {
	start := time.Now()
	err := i.s.CreateSigningKey(ctx, k)
	i.observe("create_signing_key", start, err)
	return err
}

func (i *instrumentedStore) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	start := time.Now()
	v, err := i.s.ListSigningKeys(ctx)
	i.observe("list_signing_keys", start, err)
	return v, err
}

func (i *instrumentedStore) DeleteSigningKey(ctx context.Context, id string) error {
	start := time.Now()
	err := i.s.DeleteSigningKey(ctx, id)
	i.observe("delete_signing_key", start, err)
	return err
}

func (i *instrumentedStore) ResealSigningKey(ctx context.Context, id string, old, sealed []byte) error {
	start := time.Now()
	err := i.s.ResealSigningKey(ctx, id, old, sealed)
	i.observe("reseal_signing_key", start, err)
	return err
}

func (i *instrumentedStore) PutSessionBinding(ctx context.Context, b storage.SessionBinding) error {
	start := time.Now()
	err := i.s.PutSessionBinding(ctx, b)
	i.observe("put_session_binding", start, err)
	return err
}

func (i *instrumentedStore) GetSessionBinding(ctx context.Context, key string, now time.Time) (storage.SessionBinding, error) {
	start := time.Now()
	v, err := i.s.GetSessionBinding(ctx, key, now)
	i.observe("get_session_binding", start, err)
	return v, err
}

func (i *instrumentedStore) DeleteSessionBinding(ctx context.Context, key string) error {
	start := time.Now()
	err := i.s.DeleteSessionBinding(ctx, key)
	i.observe("delete_session_binding", start, err)
	return err
}

func (i *instrumentedStore) UseOnce(ctx context.Context, key string, expiresAt, now time.Time) error {
	start := time.Now()
	err := i.s.UseOnce(ctx, key, expiresAt, now)
	i.observe("use_once", start, err)
	return err
}

func (i *instrumentedStore) DeleteExpired(ctx context.Context, now time.Time, keepRevoked time.Duration) (storage.GCResult, error) {
	start := time.Now()
	v, err := i.s.DeleteExpired(ctx, now, keepRevoked)
	i.observe("delete_expired", start, err)
	return v, err
}

func (i *instrumentedStore) AppendAudit(ctx context.Context, recs []storage.AuditRecord, seal func(*storage.AuditRecord)) error {
	as, ok := i.s.(storage.AuditStore)
	if !ok {
		return errNoAudit
	}
	start := time.Now()
	err := as.AppendAudit(ctx, recs, seal)
	i.observe("append_audit", start, err)
	return err
}

func (i *instrumentedStore) ListAudit(ctx context.Context, f storage.AuditFilter) ([]storage.AuditRecord, error) {
	as, ok := i.s.(storage.AuditStore)
	if !ok {
		return nil, errNoAudit
	}
	start := time.Now()
	v, err := as.ListAudit(ctx, f)
	i.observe("list_audit", start, err)
	return v, err
}

// Ping reports whether the store is reachable.
func (i *instrumentedStore) Ping(ctx context.Context) error { return i.s.Ping(ctx) }

// Close closes the store.
func (i *instrumentedStore) Close() error { return i.s.Close() }

func (i *instrumentedStore) UpdateUpstreamSession(ctx context.Context, id string, now time.Time, fn func(storage.UpstreamSession) (storage.UpstreamSession, error)) error {
	start := time.Now()
	err := i.s.UpdateUpstreamSession(ctx, id, now, fn)
	i.observe("update_upstream_session", start, err)
	return err
}

func (i *instrumentedStore) ListUpstreamSessions(ctx context.Context, afterID string, limit int) ([]storage.UpstreamSession, error) {
	start := time.Now()
	v, err := i.s.ListUpstreamSessions(ctx, afterID, limit)
	i.observe("list_upstream_sessions", start, err)
	return v, err
}
