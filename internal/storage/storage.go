package storage

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors. Backends wrap them with %w; callers test with errors.Is.
var (
	// ErrNotFound: no row with that key, or the row has expired.
	ErrNotFound = errors.New("storage: not found")
	// ErrAlreadyExists: a row with that key is already stored.
	ErrAlreadyExists = errors.New("storage: already exists")
	// ErrAlreadyUsed: a single-use row (authorization code) was consumed before.
	ErrAlreadyUsed = errors.New("storage: already used")
	// ErrReused: a refresh token that was already rotated was presented again,
	// other than as the one retry the grace period allows; the grant has been
	// revoked in the same transaction.
	ErrReused = errors.New("storage: refresh token reused")
	// ErrRevoked: the grant behind a token has been revoked or has expired.
	ErrRevoked = errors.New("storage: grant revoked")
)

// Store is everything Drawbridge persists. Implementations must be safe for
// concurrent use by many goroutines and, for server backends, by many replicas.
//
// Times are passed in by the caller (an injected clock), so that expiry can be
// tested without sleeping. A row whose ExpiresAt is not after now is treated as
// absent by every read that takes now.
//
// What a Store gives back is what it was given, with two normalisations that
// every backend applies the same way (the conformance suite checks both):
//   - times keep their instant to the nanosecond and come back in UTC, without
//     a monotonic reading; the zero time stays zero;
//   - an empty slice comes back as nil, so nil and empty are one value.
//
// Methods that delete or update by key return ErrNotFound when there is no such
// row. The fn given to an Update method runs inside the store's transaction: it
// must not call the Store, its error aborts the update and is returned
// unchanged, and it cannot change the row's key. A backend may call fn more
// than once (retrying a transaction that lost a deadlock), so fn must not
// have side effects beyond its result.
type Store interface {
	// Clients registered dynamically (RFC 7591) or recorded from a client ID
	// metadata document. Pre-registered clients live in config, not here.
	CreateClient(ctx context.Context, c Client) error
	GetClient(ctx context.Context, id string) (Client, error)
	// UpdateClient loads the client, applies fn and writes the result atomically.
	UpdateClient(ctx context.Context, id string, fn func(Client) (Client, error)) error
	DeleteClient(ctx context.Context, id string) error
	// ListClients returns clients in ID order: those whose ID sorts after
	// after (empty: from the first), at most limit of them (0: all).
	ListClients(ctx context.Context, after string, limit int) ([]Client, error)

	// Consent records what a user approved for a client, per resource.
	GetConsent(ctx context.Context, subject, clientID string) (Consent, error)
	// UpsertConsent adds c.Approved to the consent (creating it if needed)
	// and returns the result. Each resource's scopes merge with those
	// already approved for that resource only: the scopes already there
	// first, in their order, then new ones in the order given, without
	// duplicates. Resources c does not name keep what they had. An
	// existing consent keeps its CreatedAt and takes c.UpdatedAt.
	UpsertConsent(ctx context.Context, c Consent) (Consent, error)
	DeleteConsent(ctx context.Context, subject, clientID string) error
	ListConsents(ctx context.Context, subject string) ([]Consent, error)

	// Client blocks refuse clients known by a metadata document (CIMD),
	// which are not stored and so cannot be disabled: by their client_id
	// URL, or every client whose client_id URL is on a host.
	//
	// PutClientBlock stores a block; ErrAlreadyExists when that kind and
	// value are blocked already (the first block is kept).
	PutClientBlock(ctx context.Context, b ClientBlock) error
	// DeleteClientBlock lifts a block; ErrNotFound when there is none.
	DeleteClientBlock(ctx context.Context, kind, value string) error
	// ListClientBlocks returns every block, by kind then value.
	ListClientBlocks(ctx context.Context) ([]ClientBlock, error)
	// FindClientBlock returns the block that refuses a client: the block
	// of clientID itself if there is one, else a block of one of hosts
	// (the caller gives them in the form blocks store them: the client_id
	// URL's host and the domains above it, cimd.BlockHosts); ErrNotFound
	// when none is blocked. An empty host matches no block.
	FindClientBlock(ctx context.Context, clientID string, hosts []string) (ClientBlock, error)

	// Authorization requests in progress (login, then consent).
	CreateAuthRequest(ctx context.Context, r AuthRequest) error
	GetAuthRequest(ctx context.Context, id string, now time.Time) (AuthRequest, error)
	// UpdateAuthRequest applies fn atomically (compare-and-swap); an error from
	// fn aborts the update and is returned unchanged.
	UpdateAuthRequest(ctx context.Context, id string, now time.Time, fn func(AuthRequest) (AuthRequest, error)) error
	DeleteAuthRequest(ctx context.Context, id string) error

	// Authorization codes, keyed by the hash of the code.
	CreateAuthCode(ctx context.Context, c AuthCode) error
	// RedeemAuthCode marks the code used and creates the grant it gives, in
	// one transaction; see Redemption for the rules.
	RedeemAuthCode(ctx context.Context, r Redemption) (AuthCode, error)
	// DeleteAuthCodes deletes the live codes f selects (not used, not
	// expired at now) and returns how many: a user's access that is ended
	// must not come back through a code issued before. A used code stays,
	// so that its replay still revokes its grant. A filter that names no
	// user, client or upstream sign-in (CodeFilter.Empty) deletes nothing.
	// A redemption racing the deletion either finds no code, or it has
	// consumed the code first and then the deletion returns only after the
	// redemption's grant is committed, so that a list of grants made after
	// this call returns includes that grant.
	DeleteAuthCodes(ctx context.Context, f CodeFilter, now time.Time) (int, error)

	// Ended sign-ins. When a user's access is ended (their grants revoked,
	// their identity provider's back-channel logout), a sign-in already made
	// for an authorization still in progress must not make a grant after
	// it. The caller records that the sign-ins a key names ended at a time,
	// and refuses, once a code's grant is stored, a grant made from a
	// sign-in at or before that time. Keys are the caller's: bounded in
	// length (hashes of what they name), never empty.
	//
	// EndSignIns records that the sign-ins each key names ended at at,
	// until expires. A key recorded before keeps the later of the two times
	// and the later expiry, so that no write moves an end back.
	EndSignIns(ctx context.Context, keys []string, at, expires time.Time) error
	// SignInsEndedAt returns the latest time at which one of keys' sign-ins
	// ended, the zero time when none of them has a record. A record past
	// its expiry may still be returned until DeleteExpired removes it.
	SignInsEndedAt(ctx context.Context, keys []string) (time.Time, error)

	// Grants: one per successful code redemption; refresh tokens hang off them.
	// CreateGrant stores the grant and, if rt is not nil, its first refresh token
	// in one transaction (rt.GrantID is set to g.ID). A duplicate grant ID or
	// token hash gives ErrAlreadyExists and stores neither. When
	// g.UpstreamSessionID names a stored upstream session and g.ExpiresAt is
	// set, the session's ExpiresAt becomes the grant's in the same
	// transaction: the upstream tokens live exactly as long as the grant.
	CreateGrant(ctx context.Context, g Grant, rt *RefreshToken) error
	GetGrant(ctx context.Context, id string) (Grant, error)
	ListGrants(ctx context.Context, f GrantFilter) ([]Grant, error)
	// RevokeGrant marks the grant revoked and deletes its refresh tokens and
	// its upstream session (the identity provider's tokens). Every other
	// revocation (a reused refresh token) deletes them the same way.
	// Revoking a revoked grant is not an error and keeps the first RevokedAt
	// and RevokeReason. revoked reports whether this call revoked it: of
	// two calls at once exactly one does, so a revocation is recorded
	// once.
	RevokeGrant(ctx context.Context, id, reason string, now time.Time) (revoked bool, err error)
	// RevokedGrantsSince lists grants revoked at or after since, so that token
	// verifiers can refuse their access tokens without a lookup per request.
	RevokedGrantsSince(ctx context.Context, since time.Time) ([]RevokedGrant, error)

	// GetRefreshToken returns a stored refresh token (revocation and
	// introspection need its grant). Expired tokens give ErrNotFound.
	GetRefreshToken(ctx context.Context, hash string, now time.Time) (RefreshToken, error)
	// RotateRefreshToken atomically exchanges one refresh token for the next.
	// See Rotation for the rules; it returns the grant the token belongs to.
	RotateRefreshToken(ctx context.Context, r Rotation) (Grant, error)

	// Upstream identity-provider sessions (tokens sealed by the caller).
	PutUpstreamSession(ctx context.Context, s UpstreamSession) error
	GetUpstreamSession(ctx context.Context, id string, now time.Time) (UpstreamSession, error)
	// UpdateUpstreamSession applies fn to a live session atomically
	// (compare-and-swap: a refresh on one replica cannot overwrite one that
	// another replica wrote in between).
	UpdateUpstreamSession(ctx context.Context, id string, now time.Time, fn func(UpstreamSession) (UpstreamSession, error)) error
	// ListUpstreamSessions returns up to limit sessions, expired or not,
	// whose ID sorts after afterID, in ID order (re-sealing walks them all).
	ListUpstreamSessions(ctx context.Context, afterID string, limit int) ([]UpstreamSession, error)
	DeleteUpstreamSession(ctx context.Context, id string) error

	// Signing keys for access tokens; private keys are sealed by the caller.
	CreateSigningKey(ctx context.Context, k SigningKey) error
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	DeleteSigningKey(ctx context.Context, id string) error
	// ResealSigningKey replaces key id's sealed private key with sealed if
	// it is still old (compare-and-swap, so two replicas re-sealing at once
	// cannot lose a key); ErrNotFound when the key is gone or was re-sealed
	// meanwhile.
	ResealSigningKey(ctx context.Context, id string, old, sealed []byte) error

	// MCP sessions (legacy era) bound to the subject that opened them.
	PutSessionBinding(ctx context.Context, b SessionBinding) error
	// GetSessionBinding returns the binding; expired gives ErrNotFound.
	GetSessionBinding(ctx context.Context, key string, now time.Time) (SessionBinding, error)
	DeleteSessionBinding(ctx context.Context, key string) error

	// UseOnce records key until expiresAt. It returns ErrAlreadyUsed when the
	// key is already recorded and not yet expired at now, so that exactly one
	// of several racing callers succeeds: single-use values such as JWT
	// assertion ids (RFC 7523 §3 "jti").
	UseOnce(ctx context.Context, key string, expiresAt, now time.Time) error

	// DeleteExpired removes every row whose ExpiresAt is not after now (rows
	// with a zero ExpiresAt that means "never" stay), and revoked grants whose
	// access tokens can no longer be valid (revoked before now - keepRevoked).
	// Refresh tokens of removed grants are removed and counted too. It reports
	// how many rows of each kind went.
	DeleteExpired(ctx context.Context, now time.Time, keepRevoked time.Duration) (GCResult, error)

	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
	Close() error

	// The audit trail, the console's sign-in sessions, the grants' last
	// use and the pinned tool definitions. Each is also an interface of its
	// own, for the packages that need only that part.
	AuditStore
	ConsoleSessionStore
	GrantUsageStore
	ToolPinStore
}

// Client kinds: how a client came to be known.
const (
	ClientKindConfig  = "config"  // pre-registered in the configuration file
	ClientKindDynamic = "dynamic" // RFC 7591 dynamic registration
	ClientKindCIMD    = "cimd"    // a client ID metadata document
)

// Client is a registered OAuth client.
type Client struct {
	ID string
	// SecretHash is the SHA-256 of the client secret; empty for public clients.
	SecretHash              string
	Name                    string
	RedirectURIs            []string
	GrantTypes              []string
	ResponseTypes           []string
	TokenEndpointAuthMethod string
	ApplicationType         string
	Scope                   string
	Kind                    string
	// Metadata is the registration document as the client sent it (JSON),
	// echoed back by the registration endpoint; never holds a secret.
	Metadata   []byte
	Disabled   bool
	CreatedAt  time.Time
	LastUsedAt time.Time
	// ExpiresAt is zero for clients that never expire.
	ExpiresAt time.Time
}

// Kinds of client block.
const (
	// BlockClientID blocks one client_id URL, compared as a string (as
	// CIMD compares client IDs).
	BlockClientID = "client_id"
	// BlockHost blocks every client_id URL on one host and its
	// subdomains, on any port.
	BlockHost = "host"
)

// ClientBlock is an administrator's refusal of metadata-document clients.
type ClientBlock struct {
	// Kind is BlockClientID or BlockHost.
	Kind string
	// Value is the client_id URL, or the host in lower case (an IP
	// address in its canonical form, without brackets).
	Value string
	// Reason is the administrator's note; may be empty.
	Reason string
	// CreatedBy is the administrator's subject.
	CreatedBy string
	CreatedAt time.Time
}

// Identity is a signed-in user as the identity provider described them.
type Identity struct {
	Subject string   `json:"sub"`
	Email   string   `json:"email,omitempty"`
	Name    string   `json:"name,omitempty"`
	Groups  []string `json:"groups,omitempty"`
	// Provider names the identity provider (config name), e.g. "local".
	Provider string `json:"idp,omitempty"`
	// Upstream is how an upstream OpenID provider identified this sign-in;
	// zero for local users.
	Upstream UpstreamLogin `json:"upstream,omitzero"`
}

// UpstreamLogin holds the upstream OpenID provider's own identifiers of a
// sign-in, from its ID token: what a back-channel logout names (OIDC
// Back-Channel Logout 1.0, section 2.4). Subject is the provider's sub,
// which need not be Identity.Subject (that may come from another claim).
// Identifiers only, never tokens.
type UpstreamLogin struct {
	Issuer  string `json:"iss,omitempty"`
	Subject string `json:"sub,omitempty"`
	// SID is the provider's session ID (the ID token's sid claim), if it
	// sent one.
	SID string `json:"sid,omitempty"`
}

// Consent is what a user approved a client for: per resource (an MCP
// server's URL), the scopes approved for that resource. An approval for one
// resource says nothing about another, even where two resources use the
// same scope names (offline_access is one): SEC1 asks the user per server.
//
// Approved is nil when nothing is approved; a resource whose list is nil
// was approved without scopes (a request for it without scopes needs no
// question). Stores give back empty lists as nil, like every other slice.
type Consent struct {
	Subject   string
	ClientID  string
	Approved  map[string][]string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ScopesFor returns the scopes approved for resource, and whether the
// resource was approved at all.
func (c Consent) ScopesFor(resource string) ([]string, bool) {
	scopes, ok := c.Approved[resource]
	return scopes, ok
}

// MergeApproved adds add to have, resource by resource, as UpsertConsent
// does: a resource's scopes already approved first, in their order, then
// new ones in the order given, without duplicates; empty lists become nil.
// It returns a new map and changes neither argument. Every backend merges
// with it, so that they cannot differ.
func MergeApproved(have, add map[string][]string) map[string][]string {
	if len(have) == 0 && len(add) == 0 {
		return nil
	}
	out := make(map[string][]string, len(have)+len(add))
	for res, scopes := range have {
		out[res] = mergeScopes(nil, scopes)
	}
	for res, scopes := range add {
		out[res] = mergeScopes(out[res], scopes)
	}
	return out
}

// mergeScopes appends the entries of add that have not been seen, keeping
// the order of both, so that repeated approvals never grow the list.
func mergeScopes(have, add []string) []string {
	seen := make(map[string]bool, len(have)+len(add))
	var out []string
	for _, list := range [][]string{have, add} {
		for _, s := range list {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// AuthRequest is an authorization request between /authorize and the
// redirect back to the client: the user signs in, then consents.
type AuthRequest struct {
	ID            string
	ClientID      string
	RedirectURI   string
	State         string
	Scopes        []string
	Resource      string
	CodeChallenge string
	// BrowserHash binds the request to the browser that started it: the
	// SHA-256 of a random value kept only in that browser's cookie.
	BrowserHash string
	// UpstreamState is the hash of the state sent to the upstream identity
	// provider; cleared when the callback consumes it.
	UpstreamState string
	UpstreamNonce string
	// UpstreamSessionID names the identity provider's tokens for this
	// sign-in (kept in the vault), passed on to the code and the grant.
	UpstreamSessionID string
	// DPoPJKT is the dpop_jkt of the request (RFC 9449 §10): the
	// thumbprint of the key the code will be bound to; empty when none.
	DPoPJKT string
	// Identity is set once the user has signed in.
	Identity  *Identity
	AuthTime  time.Time
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AuthCode is an issued authorization code, stored by hash.
type AuthCode struct {
	Hash          string
	ClientID      string
	RedirectURI   string
	CodeChallenge string
	Resource      string
	Scopes        []string
	Identity      Identity
	AuthTime      time.Time
	// GrantID is chosen when the code is issued, so that a replayed code can
	// revoke the grant its first redemption created.
	GrantID           string
	UpstreamSessionID string
	// DPoPJKT binds the code to a DPoP key (RFC 9449 §10): it is redeemed
	// only with a proof signed by the key of this thumbprint.
	DPoPJKT   string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// Grant is the lasting result of one authorization: a user let a client act
// on one resource with some scopes. Access and refresh tokens belong to it.
type Grant struct {
	ID                string
	ClientID          string
	Identity          Identity
	Scopes            []string
	Resource          string
	UpstreamSessionID string
	AuthTime          time.Time
	CreatedAt         time.Time
	LastUsedAt        time.Time
	// ExpiresAt bounds the whole grant, refreshes included; zero means the
	// grant has no bound of its own (its refresh tokens still expire).
	ExpiresAt    time.Time
	RevokedAt    time.Time
	RevokeReason string
	// DPoPJKT binds the grant's refresh tokens to a DPoP key: the
	// thumbprint of the key a public client proved at its first token
	// request (RFC 9449 §5). Empty: the refresh tokens are not bound.
	DPoPJKT string
}

// Revoked reports whether the grant has been revoked.
func (g Grant) Revoked() bool { return !g.RevokedAt.IsZero() }

// GrantFilter selects grants; empty fields match everything.
type GrantFilter struct {
	Subject  string
	ClientID string
	// UpstreamSubject and UpstreamSID match Identity.Upstream's Subject
	// and SID, for back-channel logout.
	UpstreamSubject string
	UpstreamSID     string
	IncludeRevoked  bool

	// The list is oldest first, or newest first with NewestFirst. After
	// continues it past the grant with that key, in the list's order (keyset
	// paging: rows added meanwhile cause no repeats or gaps); Limit caps the
	// rows (0: all).
	NewestFirst bool
	After       *GrantKey
	Limit       int
}

// CodeFilter selects authorization codes by what they were issued for;
// each non-empty field must match. Unlike GrantFilter's, an empty filter
// selects nothing (Empty).
type CodeFilter struct {
	// Subject is Identity.Subject, Drawbridge's own subject.
	Subject  string
	ClientID string
	// Provider, UpstreamIssuer, UpstreamSubject and UpstreamSID match
	// Identity.Provider and Identity.Upstream, for back-channel logout.
	Provider        string
	UpstreamIssuer  string
	UpstreamSubject string
	UpstreamSID     string
}

// Empty reports whether f names no user, client or upstream sign-in: a
// provider or an issuer alone would select every code issued there.
func (f CodeFilter) Empty() bool {
	return f.Subject == "" && f.ClientID == "" && f.UpstreamSubject == "" && f.UpstreamSID == ""
}

// GrantKey is a grant's place in a list: its creation time, then its ID.
type GrantKey struct {
	CreatedAt time.Time
	ID        string
}

// RevokedGrant is one entry of the revocation feed.
type RevokedGrant struct {
	ID        string
	RevokedAt time.Time
}

// RefreshToken is a refresh token stored by hash.
type RefreshToken struct {
	Hash      string
	GrantID   string
	CreatedAt time.Time
	ExpiresAt time.Time
	// RotatedAt is set when the token was exchanged for ReplacedBy. A token
	// whose grace-period retry was spent, and the successor that retry
	// retired (see Rotation), have RotatedAt set and ReplacedBy empty, so
	// presenting either again is reuse.
	RotatedAt  time.Time
	ReplacedBy string
}

// Rotation asks the store to exchange OldHash for New.
//
//   - OldHash unknown or expired: ErrNotFound.
//   - Its grant revoked or expired: ErrRevoked.
//   - OldHash current: it is marked rotated, New is stored.
//   - OldHash rotated less than Grace ago, its successor never used, and no
//     retry made with it yet: the response carrying the successor was
//     probably lost, so the successor is retired and New stored instead.
//   - Otherwise the token was replayed: the grant is revoked (reason
//     "refresh_token_reuse") and ErrReused returned.
//
// Rotation.Decide is that decision, the same for every backend. The grace
// window runs from the first rotation of OldHash, and OldHash gets one
// retry in it. Revocation deletes the grant's refresh tokens, so a token
// presented after its grant was revoked is unknown (ErrNotFound). A
// successful rotation sets the grant's LastUsedAt to Now. With ErrReused and
// ErrRevoked the grant is still returned, so the caller can record what was
// refused or revoked.
//
// Rotations of one token are serialised, so when several race with Grace 0,
// exactly one succeeds, the next one is reuse (ErrReused, grant revoked) and
// all later ones find no token (ErrNotFound).
type Rotation struct {
	OldHash string
	New     RefreshToken
	Now     time.Time
	Grace   time.Duration
	// Check, if set, runs inside the transaction once the token is known to
	// be exchangeable (current, or a grace retry), before anything changes.
	// Its error aborts the rotation, leaving the token as it was, and is
	// returned unchanged. The token endpoint uses it to refuse a token
	// presented by another client or for another resource without burning it.
	Check func(Grant) error
	// Inspect asks only whether OldHash is current, without exchanging it:
	// token exchange (RFC 8693) presents a refresh token as proof of a live
	// grant. A current token stays current (New is ignored) and the grant's
	// LastUsedAt becomes Now; a replayed token is reuse, as in a rotation
	// (the grant is revoked, ErrReused); a token in its grace window gives
	// ErrNotFound and changes nothing (Rotation.Decide).
	Inspect bool
}

// UpstreamSession holds what the upstream identity provider issued for one
// sign-in. Sealed is opaque to the store: the caller encrypts it.
type UpstreamSession struct {
	ID        string
	Subject   string
	Provider  string
	Sealed    []byte
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time
}

// SigningKey is a key that signs access tokens. PrivateSealed is the sealed
// PKCS #8 private key; PublicJWK is the public half as a JSON Web Key.
type SigningKey struct {
	ID            string
	Algorithm     string
	PrivateSealed []byte
	PublicJWK     []byte
	CreatedAt     time.Time
	// NotAfter: the key stops signing at this time; zero means no limit.
	NotAfter time.Time
	// ExpiresAt: the key leaves the JWKS (and may be deleted) at this time;
	// zero means it stays until deleted.
	ExpiresAt time.Time
}

// SessionBinding ties an MCP session to the user who opened it (RS6: a
// session id is never proof of identity). Key is a hash of the server name
// and the session id, so the store never holds a usable session id.
type SessionBinding struct {
	Key      string
	Subject  string
	ClientID string
	Server   string
	// Target is where the session's messages go, for transports whose
	// message URL the backend chose (legacy HTTP+SSE); empty otherwise.
	Target    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// GCResult counts rows removed by DeleteExpired.
type GCResult struct {
	AuthRequests     int
	AuthCodes        int
	RefreshTokens    int
	Grants           int
	Clients          int
	UpstreamSessions int
	SigningKeys      int
	Once             int
	SessionBindings  int
	EndedSignIns     int
}

// CleanText makes a string storable by every backend: PostgreSQL text
// refuses NUL and invalid UTF-8, which SQLite would keep. Inputs the
// caller can refuse outright should be refused instead; this is for text
// that must be kept anyway (identity claims, audit columns).
func CleanText(s string) string {
	if !strings.ContainsRune(s, 0) && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// Storable reports whether s needs no cleaning.
func Storable(s string) bool { return !strings.ContainsRune(s, 0) && utf8.ValidString(s) }
