package local

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/drawbridge-mcp/drawbridge/internal/identity"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// SubjectPrefix is prepended to the username when a User has no Subject, so
// that a local user can never share a subject with a user of an upstream
// identity provider.
const SubjectPrefix = "local:"

// User is one configured local user.
type User struct {
	// Username is what the user types on the login page. It is matched
	// exactly: no case folding or Unicode normalisation.
	Username string
	// PasswordHash is a bcrypt hash ($2a$, $2b$ or $2y$; bcrypt ignores
	// password bytes after the 72nd) or an argon2id hash in PHC string form
	// ($argon2id$v=19$m=...,t=...,p=...$salt$hash). `drawbridge hash-password`
	// prints a suitable argon2id hash.
	PasswordHash string
	// Subject is the user's stable identifier in grants, consents and audit
	// records. Default: "local:" + Username. Set it explicitly to keep a
	// user's grants across a rename.
	Subject string
	// Email, Name and Groups are copied into the identity; Groups feed the
	// access policy.
	Email  string
	Name   string
	Groups []string
}

// Provider authenticates the configured local users.
type Provider struct {
	name  string
	users map[string]localUser
	// dummy is checked for unknown usernames, so that they cost the same as
	// known ones.
	dummy passwordHash
	// hashing holds a slot for each core a password hash keeps busy
	// (see hashSlots).
	hashing *semaphore.Weighted
	slots   int64
	// wait is how long a sign-in waits for its slots (hashWait).
	wait time.Duration
}

// hashWait bounds the wait for a hashing slot: a sign-in that cannot be
// checked within it gets identity.ErrBusy (a page asking to try again),
// so that a flood of sign-ins makes a queue that ends, not one that grows
// until every browser in it has given up.
const hashWait = 10 * time.Second

// hashSlots is how many cores hash passwords at once: one fewer than the
// process may use, at least one. (An argon2id hash with p lanes takes p
// slots, all of them if it has more.) A hash is tens of milliseconds of CPU
// without a pause, and Go's scheduler gives a goroutine that never blocks
// its core for 10 ms at a time: with as many hashes as sign-ins under way,
// every other request (the token endpoint's, the proxy's) queued behind
// all of them, and each time it waited (for the network, the store) it
// queued again. Measured with 50 browsers signing in at once on 2 cores
// (go run ./bench): a code → token exchange, or a proxied tool call, took
// hundreds of milliseconds at the median and over a second at p99, against
// 2 ms and 10–20 ms now. With a core left free of hashing, the rest of the gateway
// keeps answering while sign-ins wait their turn, which costs a machine
// with few cores some of its sign-in rate (docs/benchmarks.md).
func hashSlots() int64 {
	return int64(max(1, runtime.GOMAXPROCS(0)-1))
}

type localUser struct {
	identity storage.Identity
	hash     passwordHash
}

var _ identity.PasswordProvider = (*Provider)(nil)

// New checks every user and returns a provider, or an error listing every
// problem found (never a password or a hash).
func New(name string, users []User) (*Provider, error) {
	p := &Provider{name: name, users: make(map[string]localUser, len(users)), slots: hashSlots(), wait: hashWait}
	p.hashing = semaphore.NewWeighted(p.slots)
	var errs []error
	if name == "" {
		errs = append(errs, errors.New("local: provider name is empty"))
	}
	if len(users) == 0 {
		errs = append(errs, errors.New("local: no users configured"))
	}
	subjects := make(map[string]string, len(users))
	var first passwordHash
	for i, u := range users {
		lu, err := p.newUser(u)
		if err != nil {
			errs = append(errs, fmt.Errorf("local: user %d (%q): %w", i, u.Username, err))
			continue
		}
		if other, dup := subjects[lu.identity.Subject]; dup {
			errs = append(errs, fmt.Errorf("local: user %d (%q): subject %q is also used by %q", i, u.Username, lu.identity.Subject, other))
			continue
		}
		subjects[lu.identity.Subject] = u.Username
		p.users[u.Username] = lu
		if first == nil {
			first = lu.hash
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	dummy, err := first.dummy()
	if err != nil {
		return nil, fmt.Errorf("local: dummy hash: %w", err)
	}
	p.dummy = dummy
	return p, nil
}

func (p *Provider) newUser(u User) (localUser, error) {
	if u.Username == "" {
		return localUser{}, errors.New("username is empty")
	}
	if _, dup := p.users[u.Username]; dup {
		return localUser{}, errors.New("username is listed more than once")
	}
	h, err := parseHash(u.PasswordHash)
	if err != nil {
		return localUser{}, fmt.Errorf("password_hash: %w", err)
	}
	sub := u.Subject
	if sub == "" {
		sub = SubjectPrefix + u.Username
	}
	return localUser{
		identity: storage.Identity{
			Subject:  sub,
			Email:    u.Email,
			Name:     u.Name,
			Groups:   slices.Clone(u.Groups),
			Provider: p.name,
		},
		hash: h,
	}, nil
}

// Name returns the provider's configured name.
func (p *Provider) Name() string { return p.name }

// Authenticate checks username and password. Unknown users and wrong
// passwords both give identity.ErrBadCredentials, after the same amount of
// hashing work.
func (p *Provider) Authenticate(ctx context.Context, username, password string) (storage.Identity, error) {
	if err := ctx.Err(); err != nil {
		return storage.Identity{}, err
	}
	u, known := p.users[username]
	h := u.hash
	if !known {
		h = p.dummy
	}
	// The length check comes first for everyone, so it reveals nothing about
	// the username either.
	if len(password) > maxPasswordLen {
		return storage.Identity{}, identity.ErrBadCredentials
	}
	ok, err := p.verify(ctx, h, password)
	if err != nil {
		return storage.Identity{}, err
	}
	if !known || !ok {
		return storage.Identity{}, identity.ErrBadCredentials
	}
	id := u.identity
	id.Groups = slices.Clone(id.Groups)
	return id, nil
}

// verify checks password against h once enough hashing slots are free
// (they are given in turn, first come first served). It gives up with
// ctx's error when the caller leaves first, and with identity.ErrBusy when
// no slot came within p.wait.
func (p *Provider) verify(ctx context.Context, h passwordHash, password string) (bool, error) {
	n := min(int64(h.cores()), p.slots)
	wait, cancel := context.WithTimeout(ctx, p.wait)
	defer cancel()
	if err := p.hashing.Acquire(wait, n); err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, identity.ErrBusy
	}
	defer p.hashing.Release(n)
	return h.verify([]byte(password)), nil
}
