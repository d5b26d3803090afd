package storage

import (
	"context"
	"time"
)

// ToolPinStore keeps the tool definitions MCP servers have shown, and what
// administrators decided about them (package pinning): a server that
// changes an approved tool's description or schema after the fact (a "rug
// pull") shows a definition no pin approves.
//
// It is part of Store; package pinning takes this narrower interface.
type ToolPinStore interface {
	// CreateToolPin stores a definition seen for the first time;
	// ErrAlreadyExists when that server, tool and hash are stored already
	// (another request or replica saw it first; the first row is kept).
	CreateToolPin(ctx context.Context, p ToolPin) error
	// ListToolPins returns the pins f selects, by server, tool, FirstSeenAt
	// and hash.
	ListToolPins(ctx context.Context, f ToolPinFilter) ([]ToolPin, error)
	// SeeToolPin records that the server showed the definition k at at:
	// SeenAt becomes at unless it is later already. ErrNotFound when there
	// is no such pin.
	SeeToolPin(ctx context.Context, k ToolPinKey, at time.Time) error
	// DecideToolPin sets a pin's State (PinApproved or PinRejected),
	// DecidedBy and DecidedAt, and returns the pin as stored. A tool has
	// one approved definition: approving deletes the tool's other approved
	// pin in the same transaction. ErrNotFound when there is no such pin.
	DecideToolPin(ctx context.Context, k ToolPinKey, state, by string, at time.Time) (ToolPin, error)
}

// Tool pin states.
const (
	// PinApproved: the definition may be shown and the tool called.
	PinApproved = "approved"
	// PinPending: waiting for an administrator.
	PinPending = "pending"
	// PinRejected: an administrator refused the definition.
	PinRejected = "rejected"
)

// ToolPinKey names one definition of one tool of one server.
type ToolPinKey struct {
	Server string
	Tool   string
	// Hash is the hex SHA-256 of the canonical definition.
	Hash string
}

// ToolPin is one definition of one tool, as a server showed it.
type ToolPin struct {
	ToolPinKey
	// NameKey is the tool name as look-alikes share it (see pinning.NameKey),
	// so that one lookup finds every tool a call's name could reach.
	NameKey string
	// Definition is the canonical JSON the hash is taken over, for showing
	// an administrator what changed.
	Definition []byte
	// State is PinApproved, PinPending or PinRejected; Reason says why it
	// was recorded so ("first_use", "changed", "new", "lookalike", ...).
	State  string
	Reason string
	// FirstSeenAt is when the definition was first shown; SeenAt the last
	// time it became the one the server shows (see SeeToolPin).
	FirstSeenAt time.Time
	SeenAt      time.Time
	// DecidedBy is the administrator (or pinning's automatic actor) who
	// set State, at DecidedAt; empty and zero while pending.
	DecidedBy string
	DecidedAt time.Time
}

// ToolPinFilter selects pins; empty fields match everything.
type ToolPinFilter struct {
	Server  string
	Tool    string
	NameKey string
	State   string
}
