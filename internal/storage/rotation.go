package storage

// RotationStep is what presenting a refresh token does (see Rotation).
type RotationStep int

const (
	// RotateCurrent: the token is current. It is marked rotated and New
	// becomes its successor.
	RotateCurrent RotationStep = iota + 1
	// RotateGraceRetry: the token was rotated less than Grace ago and its
	// successor was never used, so the response carrying the successor was
	// probably lost. The successor is retired, New is stored instead, and the
	// token keeps no successor: the retry is spent, and presenting the token
	// again is reuse.
	RotateGraceRetry
	// RotateReuse: the token was replayed. The grant is revoked.
	RotateReuse
)

// Step decides what presenting old does, for every backend: successor is
// the token old.ReplacedBy names as stored, or nil when it names none or
// the token is gone. The grace period serves a client that lost one
// response, so it is granted once per token (OAuth 2.1 §4.3.1 and RFC 9700
// §4.14.2 want a rotated token's reuse to end the grant; the grace is the
// narrow exception docs/clients.md promises, not a window in which the old
// token works like a current one).
func (r Rotation) Step(old RefreshToken, successor *RefreshToken) RotationStep {
	switch {
	case old.RotatedAt.IsZero():
		return RotateCurrent
	case old.ReplacedBy == "" || successor == nil || successor.Hash != old.ReplacedBy:
		// Its retry was spent, or its successor is gone.
		return RotateReuse
	case !successor.RotatedAt.IsZero():
		// The successor was used: the response was not lost.
		return RotateReuse
	case r.Now.Sub(old.RotatedAt) >= r.Grace:
		// The window runs from the first rotation; retries never stretch it.
		return RotateReuse
	}
	return RotateGraceRetry
}
