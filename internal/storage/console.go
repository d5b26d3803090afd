package storage

import (
	"context"
	"time"
)

// ConsoleSessionStore keeps the sign-in sessions of the web console
// (package console). A session is found by the SHA-256 of the random value
// in the browser's cookie: the store never holds a usable session id.
//
// It is part of Store; the console takes this narrower interface.
type ConsoleSessionStore interface {
	// CreateConsoleSession stores a session; a duplicate Hash gives
	// ErrAlreadyExists.
	CreateConsoleSession(ctx context.Context, s ConsoleSession) error
	// GetConsoleSession returns the session whose Hash is hash; unknown or
	// expired at now gives ErrNotFound.
	GetConsoleSession(ctx context.Context, hash string, now time.Time) (ConsoleSession, error)
	// DeleteConsoleSession removes one session (ErrNotFound if there is none).
	DeleteConsoleSession(ctx context.Context, hash string) error
	// DeleteExpiredConsoleSessions removes every session expired at now and
	// says how many went.
	DeleteExpiredConsoleSessions(ctx context.Context, now time.Time) (int, error)
}

// ConsoleSession is a signed-in console user. The session rests on a grant
// that the console, a first-party client of Drawbridge's own authorization
// server, received at sign-in: revoking that grant ends the session.
type ConsoleSession struct {
	// Hash is the SHA-256 of the cookie value.
	Hash      string
	GrantID   string
	Identity  Identity
	CreatedAt time.Time
	ExpiresAt time.Time
}
