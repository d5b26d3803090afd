package openapi

import (
	"errors"
	"testing"
)

// TestPathParameterInjectionVariants is the caller who tries the other
// spellings of a dot segment or a separator in a path parameter: each
// stays inside one segment, percent-encoded, so neither this gateway nor
// a server that decodes once sees a dot segment or a new segment.
func TestPathParameterInjectionVariants(t *testing.T) {
	get := toolNamed(t, petstore(t), "getPetById")
	for _, tt := range []struct{ petID, want string }{
		{`"..\\admin"`, "https://api.example/v3/pet/..%5Cadmin"},
		{`"\\..\\"`, "https://api.example/v3/pet/%5C..%5C"},
		{`"%2e%2e"`, "https://api.example/v3/pet/%252e%252e"},
		{`"%2E%2E%2Fadmin"`, "https://api.example/v3/pet/%252E%252E%252Fadmin"},
		{`"\uff0e\uff0e"`, "https://api.example/v3/pet/%EF%BC%8E%EF%BC%8E"}, // fullwidth full stops
		{`"\u2024\u2024"`, "https://api.example/v3/pet/%E2%80%A4%E2%80%A4"}, // one dot leaders
		{`"..;"`, "https://api.example/v3/pet/..%3B"},                       // Tomcat-style path parameters
		{`"...."`, "https://api.example/v3/pet/...."},
		{`"\u0000"`, "https://api.example/v3/pet/%00"},
	} {
		got, err := build(t, get, "https://api.example/v3/", `{"petId":`+tt.petID+`}`)
		if err != nil || got != tt.want {
			t.Errorf("petId %s: %q, %v; want %q", tt.petID, got, err, tt.want)
		}
	}
	// An array is joined with commas, each element escaped: no element
	// may make the joined segment a dot segment either.
	for _, bad := range []string{`["."]`, `[".."]`, `[""]`} {
		if _, err := build(t, get, "https://api.example/v3/", `{"petId":`+bad+`}`); !errors.Is(err, ErrArguments) {
			t.Errorf("petId %s: err = %v, want ErrArguments", bad, err)
		}
	}
}
