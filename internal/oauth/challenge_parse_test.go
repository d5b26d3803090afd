package oauth

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseChallenges(t *testing.T) {
	tests := []struct {
		in   []string
		want []Challenge
	}{
		{[]string{`Bearer`}, []Challenge{{Scheme: "Bearer"}}},
		{[]string{`Bearer realm="x", scope="a b"`},
			[]Challenge{{Scheme: "Bearer", Params: map[string]string{"realm": "x", "scope": "a b"}}}},
		// Names are case-insensitive; token values; BWS around "=".
		{[]string{`bearer Error = invalid_token ,Scope="a"`},
			[]Challenge{{Scheme: "bearer", Params: map[string]string{"error": "invalid_token", "scope": "a"}}}},
		// Two challenges in one value, and a token68 one.
		{[]string{`Basic realm="r", Bearer resource_metadata="https://x/y"`}, []Challenge{
			{Scheme: "Basic", Params: map[string]string{"realm": "r"}},
			{Scheme: "Bearer", Params: map[string]string{"resource_metadata": "https://x/y"}}}},
		{[]string{`Negotiate abc+/==, Bearer`}, []Challenge{{Scheme: "Negotiate", Token68: "abc+/=="}, {Scheme: "Bearer"}}},
		// Several field lines, empty list elements, quoted-pairs.
		{[]string{`, Basic`, `Bearer error_description="say \"hi\" \\ there"`}, []Challenge{
			{Scheme: "Basic"}, {Scheme: "Bearer", Params: map[string]string{"error_description": `say "hi" \ there`}}}},
		// A comma inside a quoted-string separates nothing.
		{[]string{`Bearer scope="a,b", realm=r`},
			[]Challenge{{Scheme: "Bearer", Params: map[string]string{"scope": "a,b", "realm": "r"}}}},
	}
	for _, tt := range tests {
		got, err := ParseChallenges(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseChallenges(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseChallengesRefusesMalformed(t *testing.T) {
	for _, in := range []string{
		``, `   ,  `, `"Bearer"`, `Bearer realm="x`, `Bearer realm="a"x`, `Bearer a=1, b=`, `Bearer realm="a" scope="b"`,
		`Bearer realm="a", realm="b"`, `Bearer REALM="a", realm="b"`, `Bearer realm="a\`, "Bearer realm=\"a\x01\"",
		"Bearer realm=\"\x7f\"", `Bearer =x`, `Bearer realm=a b`, "Bearer\trealm=x", `Bearer realm=@`,
		`Bearer ` + strings.Repeat("x=1, ", 2000),
		strings.Repeat("Basic, ", 20),
	} {
		if got, err := ParseChallenges([]string{in}); err == nil {
			t.Errorf("ParseChallenges(%q) = %+v, want an error", in, got)
		}
	}
}

func TestParseBearerChallenge(t *testing.T) {
	got, err := ParseBearerChallenge([]string{`Basic realm="drawbridge"`,
		`Bearer error="insufficient_scope", scope="a  b", resource_metadata="https://gw/.well-known/oauth-protected-resource/mcp", realm="x"`})
	want := BearerChallenge{Error: "insufficient_scope", Scope: []string{"a", "b"},
		ResourceMetadata: "https://gw/.well-known/oauth-protected-resource/mcp"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, %v", got, err)
	}
	for _, in := range []string{`Basic realm="x"`, `Bearer, Bearer`, `Bearer abc==`, `Bearer scope="a\"b"`} {
		if got, err := ParseBearerChallenge([]string{in}); err == nil {
			t.Errorf("ParseBearerChallenge(%q) = %+v, want an error", in, got)
		}
	}
	if _, err := ParseBearerChallenge([]string{`Basic realm="x"`}); !errors.Is(err, ErrNoBearerChallenge) {
		t.Errorf("no Bearer challenge: %v", err)
	}
}

// What the gateway writes, the parser reads back.
func TestBearerChallengeRoundTrip(t *testing.T) {
	for _, c := range []BearerChallenge{
		{ResourceMetadata: "https://gw/.well-known/oauth-protected-resource/mcp", Scope: []string{"a", "b"}},
		{Error: "invalid_token", ErrorDescription: `the "token" \ was bad`, Scope: []string{"mcp"}, ResourceMetadata: "https://gw/p"},
		{},
	} {
		got, err := ParseBearerChallenge([]string{c.String()})
		if err != nil || got.Error != c.Error || got.ErrorDescription != c.ErrorDescription ||
			!slices.Equal(got.Scope, c.Scope) || got.ResourceMetadata != c.ResourceMetadata {
			t.Errorf("%s: got %+v, %v", c.String(), got, err)
		}
	}
}

func FuzzParseBearerChallenge(f *testing.F) {
	for _, s := range []string{`Bearer scope="a b", resource_metadata="https://x/y"`, `Basic realm="r", Bearer error=x`,
		`Negotiate abc==, Bearer`, `Bearer realm="a\"b"`, `Bearer ,,, x=y`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseBearerChallenge([]string{s})
		if err != nil {
			return
		}
		// Whatever parses renders (as the gateway would) and parses back
		// to the same values.
		again, err := ParseBearerChallenge([]string{c.String()})
		if err != nil || again.Error != c.Error || again.ErrorDescription != c.ErrorDescription ||
			!slices.Equal(again.Scope, c.Scope) || again.ResourceMetadata != c.ResourceMetadata {
			t.Fatalf("%q: parsed %+v, rendered %q, parsed again %+v (%v)", s, c, c.String(), again, err)
		}
	})
}
