package oauth

import (
	"errors"
	"fmt"
	"strings"
)

// Challenge is one challenge of a WWW-Authenticate field (RFC 9110
// §11.6.1): an auth-scheme followed by either a token68 or auth-params.
type Challenge struct {
	// Scheme is as sent; schemes compare case-insensitively.
	Scheme  string
	Token68 string
	// Params are keyed by lower-cased name (names are case-insensitive).
	Params map[string]string
}

// Limits on what ParseChallenges reads: a field longer than this, or with
// more challenges, is refused rather than parsed.
const (
	maxChallengeField = 8 << 10
	maxChallenges     = 16
)

// ErrNoBearerChallenge means the field holds no Bearer challenge.
var ErrNoBearerChallenge = errors.New("no Bearer challenge")

// ParseChallenges reads the values of WWW-Authenticate fields (several
// field lines form one list, RFC 9110 §5.3) strictly by the grammar of RFC
// 9110 §11.2 and §11.6.1: a malformed value, an unterminated quoted-string
// or a parameter named twice in one challenge (§11.2: "each parameter name
// MUST only occur once per challenge") is an error, not a guess.
func ParseChallenges(values []string) ([]Challenge, error) {
	var out []Challenge
	total := 0
	for _, v := range values {
		if total += len(v); total > maxChallengeField {
			return nil, fmt.Errorf("WWW-Authenticate is longer than %d bytes", maxChallengeField)
		}
		p := &challengeParser{s: v}
		for {
			p.skipSeparators()
			if p.done() {
				break
			}
			c, err := p.challenge()
			if err != nil {
				return nil, err
			}
			if out = append(out, c); len(out) > maxChallenges {
				return nil, fmt.Errorf("WWW-Authenticate has more than %d challenges", maxChallenges)
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("WWW-Authenticate has no challenge")
	}
	return out, nil
}

// ParseBearerChallenge finds the one Bearer challenge among the values of
// WWW-Authenticate fields and reads the parameters of RFC 6750 §3 and RFC
// 9728 §5.1. Other parameters (realm) are ignored; a scope that is not a
// valid scope list (RFC 6749 §3.3) is an error.
func ParseBearerChallenge(values []string) (BearerChallenge, error) {
	cs, err := ParseChallenges(values)
	if err != nil {
		return BearerChallenge{}, err
	}
	var found *Challenge
	for i := range cs {
		if !strings.EqualFold(cs[i].Scheme, "Bearer") {
			continue
		}
		if found != nil {
			return BearerChallenge{}, errors.New("WWW-Authenticate has more than one Bearer challenge")
		}
		found = &cs[i]
	}
	switch {
	case found == nil:
		return BearerChallenge{}, ErrNoBearerChallenge
	case found.Token68 != "":
		return BearerChallenge{}, errors.New("the Bearer challenge has a token68 where RFC 6750 §3 has parameters")
	}
	scope, err := ParseScope(found.Params["scope"])
	if err != nil {
		return BearerChallenge{}, fmt.Errorf("the Bearer challenge's scope: %w", err)
	}
	return BearerChallenge{Error: found.Params["error"], ErrorDescription: found.Params["error_description"],
		Scope: scope, ResourceMetadata: found.Params["resource_metadata"]}, nil
}

// challengeParser walks one field value.
type challengeParser struct {
	s string
	i int
}

func (p *challengeParser) done() bool { return p.i >= len(p.s) }

func (p *challengeParser) peek() byte { return p.s[p.i] }

// skipOWS skips optional whitespace (RFC 9110 §5.6.3).
func (p *challengeParser) skipOWS() {
	for !p.done() && (p.peek() == ' ' || p.peek() == '\t') {
		p.i++
	}
}

// skipSeparators skips the commas and whitespace between list elements;
// empty elements are allowed (RFC 9110 §5.6.1.2).
func (p *challengeParser) skipSeparators() {
	for !p.done() && (p.peek() == ' ' || p.peek() == '\t' || p.peek() == ',') {
		p.i++
	}
}

func (p *challengeParser) token() string {
	start := p.i
	for !p.done() && isTChar(p.peek()) {
		p.i++
	}
	return p.s[start:p.i]
}

// challenge reads auth-scheme [ 1*SP ( token68 / #auth-param ) ].
func (p *challengeParser) challenge() (Challenge, error) {
	c := Challenge{Scheme: p.token()}
	if c.Scheme == "" {
		return Challenge{}, fmt.Errorf("expected an auth-scheme at byte %d", p.i)
	}
	if p.done() || p.peek() == ',' {
		return c, nil
	}
	if p.peek() != ' ' {
		return Challenge{}, fmt.Errorf("expected a space after the scheme %q", c.Scheme)
	}
	for !p.done() && p.peek() == ' ' {
		p.i++
	}
	if p.done() || p.peek() == ',' {
		return c, nil
	}
	if t, ok := p.token68(); ok {
		c.Token68 = t
		return c, nil
	}
	return c, p.params(&c)
}

// token68 reads a token68 (RFC 9110 §11.2) when that is what follows: its
// characters, trailing "=", then the end of the challenge. Otherwise it
// consumes nothing.
func (p *challengeParser) token68() (string, bool) {
	start := p.i
	j := p.i
	for j < len(p.s) && (isAlnum(p.s[j]) || strings.IndexByte("-._~+/", p.s[j]) >= 0) {
		j++
	}
	if j == start {
		return "", false
	}
	for j < len(p.s) && p.s[j] == '=' {
		j++
	}
	end := j
	for j < len(p.s) && (p.s[j] == ' ' || p.s[j] == '\t') {
		j++
	}
	if j < len(p.s) && p.s[j] != ',' {
		return "", false
	}
	p.i = end
	return p.s[start:end], true
}

// params reads auth-param *( OWS "," OWS auth-param ), stopping before a
// comma that starts the next challenge rather than another parameter.
func (p *challengeParser) params(c *Challenge) error {
	c.Params = map[string]string{}
	for {
		name, value, err := p.param()
		if err != nil {
			return fmt.Errorf("challenge %q: %w", c.Scheme, err)
		}
		key := strings.ToLower(name)
		if _, dup := c.Params[key]; dup {
			return fmt.Errorf("challenge %q: parameter %q appears twice", c.Scheme, key)
		}
		c.Params[key] = value
		p.skipOWS()
		if p.done() {
			return nil
		}
		if p.peek() != ',' {
			return fmt.Errorf("challenge %q: expected a comma after parameter %q", c.Scheme, key)
		}
		next := p.i
		p.skipSeparators()
		if p.done() || !p.atParam() {
			p.i = next
			return nil
		}
	}
}

// atParam reports whether an auth-param starts here: token BWS "=".
func (p *challengeParser) atParam() bool {
	j := p.i
	for j < len(p.s) && isTChar(p.s[j]) {
		j++
	}
	if j == p.i {
		return false
	}
	for j < len(p.s) && (p.s[j] == ' ' || p.s[j] == '\t') {
		j++
	}
	return j < len(p.s) && p.s[j] == '='
}

// param reads token BWS "=" BWS ( token / quoted-string ).
func (p *challengeParser) param() (name, value string, err error) {
	if name = p.token(); name == "" {
		return "", "", fmt.Errorf("expected a parameter name at byte %d", p.i)
	}
	p.skipOWS()
	if p.done() || p.peek() != '=' {
		return "", "", fmt.Errorf("expected '=' after %q", name)
	}
	p.i++
	p.skipOWS()
	if !p.done() && p.peek() == '"' {
		value, err = p.quoted()
		return name, value, err
	}
	if value = p.token(); value == "" {
		return "", "", fmt.Errorf("parameter %q has no value", name)
	}
	return name, value, nil
}

// quoted reads a quoted-string (RFC 9110 §5.6.4) and returns its content
// with quoted-pairs resolved.
func (p *challengeParser) quoted() (string, error) {
	p.i++
	var b strings.Builder
	for !p.done() {
		c := p.peek()
		p.i++
		switch {
		case c == '"':
			return b.String(), nil
		case c == '\\':
			if p.done() || !isQuotedPairChar(p.peek()) {
				return "", errors.New("bad quoted-pair in a quoted-string")
			}
			b.WriteByte(p.peek())
			p.i++
		case isQDText(c):
			b.WriteByte(c)
		default:
			return "", fmt.Errorf("character %#x is not allowed in a quoted-string", c)
		}
	}
	return "", errors.New("unterminated quoted-string")
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isTChar: RFC 9110 §5.6.2.
func isTChar(c byte) bool {
	return isAlnum(c) || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isQDText: HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text.
func isQDText(c byte) bool {
	return c == '\t' || c == ' ' || c == 0x21 || c >= 0x23 && c <= 0x5B || c >= 0x5D && c <= 0x7E || c >= 0x80
}

// isQuotedPairChar: HTAB / SP / VCHAR / obs-text.
func isQuotedPairChar(c byte) bool {
	return c == '\t' || c >= 0x20 && c != 0x7F
}
