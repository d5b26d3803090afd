package oidc

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func TestClaimMapping(t *testing.T) {
	t.Parallel()
	generic := ClaimMapping{}.withDefaults(ClaimMapping{Subject: "sub", Email: "email", Name: "name", Groups: "groups"})
	entra := ClaimMapping{}.withDefaults(ClaimMapping{Subject: "oid", Email: "email", Name: "name", Groups: "groups", Roles: "roles"})
	tests := []struct {
		name    string
		m       ClaimMapping
		claims  string
		want    storage.Identity
		wantErr string
	}{
		{name: "all claims", m: generic, claims: `{"sub":"u1","email":"a@x","name":"A","groups":["g1","g2"]}`,
			want: storage.Identity{Subject: "u1", Email: "a@x", Name: "A", Groups: []string{"g1", "g2"}}},
		{name: "only sub", m: generic, claims: `{"sub":"u1"}`, want: storage.Identity{Subject: "u1"}},
		{name: "single group string", m: generic, claims: `{"sub":"u1","groups":"g1"}`, want: storage.Identity{Subject: "u1", Groups: []string{"g1"}}},
		{name: "empty group string", m: generic, claims: `{"sub":"u1","groups":""}`, want: storage.Identity{Subject: "u1"}},
		{name: "null groups", m: generic, claims: `{"sub":"u1","groups":null}`, want: storage.Identity{Subject: "u1"}},
		{name: "duplicates and empties dropped", m: generic, claims: `{"sub":"u1","groups":["g1","","g1"]}`,
			want: storage.Identity{Subject: "u1", Groups: []string{"g1"}}},
		{name: "entra roles merged", m: entra, claims: `{"sub":"pairwise","oid":"o1","groups":["g1"],"roles":["R","g1"]}`,
			want: storage.Identity{Subject: "o1", Groups: []string{"g1", "R"}}},
		{name: "entra roles only", m: entra, claims: `{"oid":"o1","roles":"R"}`, want: storage.Identity{Subject: "o1", Groups: []string{"R"}}},
		{name: "missing subject", m: generic, claims: `{"email":"a@x"}`, wantErr: `no subject claim ("sub")`},
		{name: "entra missing oid", m: entra, claims: `{"sub":"pairwise"}`, wantErr: `no subject claim ("oid")`},
		{name: "empty subject", m: generic, claims: `{"sub":""}`, wantErr: "no subject claim"},
		{name: "numeric subject", m: generic, claims: `{"sub":42}`, wantErr: `claim "sub" is a number`},
		{name: "object groups", m: generic, claims: `{"sub":"u1","groups":{"a":1}}`, wantErr: `claim "groups" is an object`},
		{name: "mixed groups", m: generic, claims: `{"sub":"u1","groups":["g1",2]}`, wantErr: `claim "groups" contains a number`},
		{name: "bad email", m: generic, claims: `{"sub":"u1","email":["a@x"]}`, wantErr: `claim "email" is an array`},
		{name: "bad roles", m: entra, claims: `{"oid":"o1","roles":true}`, wantErr: `claim "roles" is a boolean`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var claims map[string]any
			if err := json.Unmarshal([]byte(tt.claims), &claims); err != nil {
				t.Fatal(err)
			}
			got, err := tt.m.identity(claims)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(tt.wantErr, "subject") && !errors.Is(err, ErrMissingSubject) {
					t.Errorf("error %v is not ErrMissingSubject", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("identity = %+v, want %+v", got, tt.want)
			}
		})
	}
}
