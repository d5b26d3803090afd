package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/drawbridge-mcp/drawbridge/internal/cimd"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Clients known by a client ID metadata document (CIMD) are not stored:
// their document is their registration, so they cannot be disabled. An
// administrator blocks them instead, by client_id URL or by host; the
// authorization server refuses a blocked client at /authorize and /token
// (authserver's lookupClient), before it fetches or reads a cached
// document. Blocks are in the store, so every replica applies them.

// ErrBadBlock: what was asked to be blocked is not a client_id URL or a
// host. The error's text says why and may be shown.
var ErrBadBlock = errors.New("cannot block this")

// maxBlockReason bounds the administrator's note on a block.
const maxBlockReason = 500

// BlockResult is what BlockClient did.
type BlockResult struct {
	Block storage.ClientBlock
	// Created is false when the block existed already (it is kept as it
	// was, and the client's grants are revoked again).
	Created bool
	// Revoked counts the grants revoked.
	Revoked int
}

// ParseBlock checks and normalises what to block: kind is
// storage.BlockClientID (value a client_id URL, kept as given, since
// client IDs compare as strings) or storage.BlockHost (value a host,
// canonicalised by cimd.CanonicalHost: lower case; it covers any port and
// the host's subdomains).
func ParseBlock(kind, value string) (string, error) {
	switch kind {
	case storage.BlockClientID:
		if !cimd.IsClientIDURL(value) {
			return "", fmt.Errorf("%w: client_id must be a client ID metadata document URL, such as https://app.example/client.json", ErrBadBlock)
		}
		return value, nil
	case storage.BlockHost:
		h, err := cimd.CanonicalHost(strings.TrimSpace(value))
		if err != nil {
			return "", fmt.Errorf("%w: host: %s", ErrBadBlock, err.Error())
		}
		return h, nil
	}
	return "", fmt.Errorf("%w: name a client_id URL or a host", ErrBadBlock)
}

// BlockClient blocks a client_id URL or a host and revokes the grants of
// every client it matches (reason "client_blocked"): their access tokens
// are refused from the next request on, on this replica at once and on
// the others within their revocation sync.
func (a *API) BlockClient(ctx context.Context, who Actor, kind, value, reason string) (BlockResult, error) {
	value, err := ParseBlock(kind, value)
	if err != nil {
		return BlockResult{}, err
	}
	reason = strings.TrimSpace(storage.CleanText(reason))
	if utf8.RuneCountInString(reason) > maxBlockReason {
		return BlockResult{}, fmt.Errorf("%w: the reason is longer than %d characters", ErrBadBlock, maxBlockReason)
	}
	res := BlockResult{Block: storage.ClientBlock{Kind: kind, Value: value, Reason: reason, CreatedBy: who.Subject,
		CreatedAt: a.opt.Now()}, Created: true}
	err = a.opt.Store.PutClientBlock(ctx, res.Block)
	switch {
	case errors.Is(err, storage.ErrAlreadyExists):
		res.Created = false
	case err != nil:
		return BlockResult{}, err
	default:
		a.record(who, "client_blocked", kind+" "+value)
	}
	// Stored first, revoked second: from the moment it is stored,
	// lookupClient refuses the client, so no new grant starts. A code
	// redemption already past that check looks again once its grant is
	// stored (authserver's recheckClient), so a grant these revocations
	// miss is revoked there.
	if res.Revoked, err = a.revokeBlocked(ctx, who, res.Block); err != nil {
		return BlockResult{}, err
	}
	return res, nil
}

// UnblockClient lifts a block (ErrNotFound if there is none) and returns
// the value as blocks hold it. Grants the block revoked stay revoked: the
// client has to be approved again.
func (a *API) UnblockClient(ctx context.Context, who Actor, kind, value string) (string, error) {
	value, err := ParseBlock(kind, value)
	if err != nil {
		return "", err
	}
	if err := a.opt.Store.DeleteClientBlock(ctx, kind, value); err != nil {
		return "", err
	}
	a.record(who, "client_unblocked", kind+" "+value)
	return value, nil
}

// ClientBlocks lists the blocks, by kind then value.
func (a *API) ClientBlocks(ctx context.Context) ([]storage.ClientBlock, error) {
	return a.opt.Store.ListClientBlocks(ctx)
}

// revokeBlocked revokes the live grants of the clients b matches. A host
// block matches the grants whose client_id URL is on that host or under it
// (cimd.HostCovers), which no index finds, so every live grant is read, a
// page at a time.
func (a *API) revokeBlocked(ctx context.Context, who Actor, b storage.ClientBlock) (int, error) {
	if b.Kind == storage.BlockClientID {
		return a.opt.Revoker.RevokeAll(ctx, storage.GrantFilter{ClientID: b.Value}, "client_blocked", who)
	}
	const page = 500
	n, f := 0, storage.GrantFilter{Limit: page}
	for {
		gs, err := a.opt.Store.ListGrants(ctx, f)
		if err != nil {
			return n, err
		}
		var matched []storage.Grant
		for _, g := range gs {
			if h, ok := cimd.ClientIDHost(g.ClientID); ok && cimd.HostCovers(b.Value, h) {
				matched = append(matched, g)
			}
		}
		m, err := a.revokeAll(ctx, who, matched, "client_blocked")
		n += m
		if err != nil {
			return n, err
		}
		if len(gs) < page {
			return n, nil
		}
		last := gs[len(gs)-1]
		f.After = &storage.GrantKey{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}
