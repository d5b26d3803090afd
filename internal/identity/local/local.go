package local

import (
	"context"
	"errors"
	"fmt"
	"slices"

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
}

type localUser struct {
	identity storage.Identity
	hash     passwordHash
}

var _ identity.PasswordProvider = (*Provider)(nil)

// New checks every user and returns a provider, or an error listing every
// problem found (never a password or a hash).
func New(name string, users []User) (*Provider, error) {
	p := &Provider{name: name, users: make(map[string]localUser, len(users))}
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
	ok := len(password) <= maxPasswordLen && h.verify([]byte(password))
	if !known || !ok {
		return storage.Identity{}, identity.ErrBadCredentials
	}
	id := u.identity
	id.Groups = slices.Clone(id.Groups)
	return id, nil
}
