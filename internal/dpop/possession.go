package dpop

import (
	"context"
	"errors"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// Refusal is why a resource refuses a request's token for its binding: the
// status, the scheme its challenge names, the OAuth error code and a
// description; Err is the store's error when Status is 503, for the log.
type Refusal struct {
	Status                    int
	Scheme, Code, Description string
	Err                       error
}

// Possession enforces a token's DPoP binding at a resource (RFC 9449 §7):
// a token bound to the key of thumbprint jkt only with the DPoP scheme and
// a proof of that key for this very request (req); an unbound token only as
// Bearer, so that the scheme always says what the token is. scheme is the
// Authorization header's (oauth.AccessToken). It returns nil when the
// request may go on.
func (c *Checker) Possession(ctx context.Context, scheme, jkt string, req Request) *Refusal {
	switch {
	case scheme == oauth.SchemeBearer && jkt != "":
		// §7.2 and §11.1: a bound token is worthless without its key,
		// which is the point: refuse it as a bearer token.
		return &Refusal{Status: http.StatusUnauthorized, Scheme: oauth.SchemeBearer, Code: oauth.ErrInvalidToken,
			Description: "the access token is DPoP-bound: present it with the DPoP scheme and a DPoP proof"}
	case scheme == oauth.SchemeBearer:
		return nil
	case jkt == "":
		return &Refusal{Status: http.StatusUnauthorized, Scheme: oauth.SchemeDPoP, Code: oauth.ErrInvalidToken,
			Description: "the access token is not DPoP-bound: present it with the Bearer scheme"}
	}
	p, err := c.Check(ctx, req)
	switch {
	case errors.Is(err, ErrUnavailable):
		return &Refusal{Status: http.StatusServiceUnavailable, Scheme: oauth.SchemeDPoP, Code: oauth.ErrTemporarilyUnavailable,
			Description: "try again shortly", Err: err}
	case err != nil:
		// §7.1: a proof that fails a check is invalid_dpop_proof, with 401.
		return &Refusal{Status: http.StatusUnauthorized, Scheme: oauth.SchemeDPoP, Code: CodeInvalidProof, Description: err.Error()}
	}
	if err := p.Bound(jkt); err != nil {
		// §7.1 (Figure 13): the proof is good but of another key.
		return &Refusal{Status: http.StatusUnauthorized, Scheme: oauth.SchemeDPoP, Code: oauth.ErrInvalidToken, Description: err.Error()}
	}
	return nil
}
