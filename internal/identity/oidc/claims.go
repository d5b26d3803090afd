package oidc

import (
	"fmt"
	"slices"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// identity maps ID token claims to an identity. The subject is required;
// the other claims may be absent, but a claim of the wrong type is an error
// rather than silently ignored, since groups feed access decisions.
func (m ClaimMapping) identity(claims map[string]any) (storage.Identity, error) {
	var id storage.Identity
	var err error
	if id.Subject, err = stringClaim(claims, m.Subject); err != nil {
		return id, err
	}
	if id.Subject == "" {
		return id, fmt.Errorf("%w (%q)", ErrMissingSubject, m.Subject)
	}
	if id.Email, err = stringClaim(claims, m.Email); err != nil {
		return id, err
	}
	if id.Name, err = stringClaim(claims, m.Name); err != nil {
		return id, err
	}
	if id.Groups, err = listClaim(claims, m.Groups); err != nil {
		return id, err
	}
	if m.Roles != "" {
		roles, err := listClaim(claims, m.Roles)
		if err != nil {
			return id, err
		}
		for _, r := range roles {
			if !slices.Contains(id.Groups, r) {
				id.Groups = append(id.Groups, r)
			}
		}
	}
	return id, nil
}

func stringClaim(claims map[string]any, name string) (string, error) {
	switch v := claims[name].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", fmt.Errorf("oidc: claim %q is %s, want a string", name, jsonType(v))
	}
}

// listClaim accepts an array of strings or a single string: providers (and
// Keycloak mappers) send a one-element group list either way.
func listClaim(claims map[string]any, name string) ([]string, error) {
	switch v := claims[name].(type) {
	case nil:
		return nil, nil
	case string:
		if v == "" {
			return nil, nil
		}
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("oidc: claim %q contains %s, want strings", name, jsonType(e))
			}
			if s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out, nil
	default:
		return nil, fmt.Errorf("oidc: claim %q is %s, want a string or an array of strings", name, jsonType(v))
	}
}

// jsonType names a decoded JSON value's type without echoing the value.
func jsonType(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return "null"
	}
}
