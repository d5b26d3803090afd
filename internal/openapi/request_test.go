package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/drawbridge-mcp/drawbridge/internal/openapi/opfilter"
	"net/url"
	"testing"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func build(t *testing.T, tool *Tool, base, args string) (string, error) {
	t.Helper()
	a, err := tool.decodeArgs(json.RawMessage(args))
	if err != nil {
		return "", err
	}
	req, err := tool.newRequest(context.Background(), mustURL(t, base), a)
	if err != nil {
		return "", err
	}
	if req.URL.Host != "api.example" {
		t.Fatalf("request went to host %q", req.URL.Host)
	}
	return req.URL.String(), nil
}

// The path parameter cannot change the path's structure or the host.
func TestPathParameterCannotEscape(t *testing.T) {
	get := toolNamed(t, petstore(t), "getPetById")
	for _, tt := range []struct{ petID, want string }{
		{`"10"`, "https://api.example/v3/pet/10"},
		{`10`, "https://api.example/v3/pet/10"},
		{`"../admin"`, "https://api.example/v3/pet/..%2Fadmin"},
		{`"a/b"`, "https://api.example/v3/pet/a%2Fb"},
		{`"%2F"`, "https://api.example/v3/pet/%252F"},
		{`"x?admin=1"`, "https://api.example/v3/pet/x%3Fadmin=1"},
		{`"x#frag"`, "https://api.example/v3/pet/x%23frag"},
		{`"http://evil.example/x"`, "https://api.example/v3/pet/http:%2F%2Fevil.example%2Fx"},
		{`"//evil.example"`, "https://api.example/v3/pet/%2F%2Fevil.example"},
		{`"@evil.example"`, "https://api.example/v3/pet/@evil.example"},
		{`"a b"`, "https://api.example/v3/pet/a%20b"},
	} {
		got, err := build(t, get, "https://api.example/v3/", `{"petId":`+tt.petID+`}`)
		if err != nil || got != tt.want {
			t.Errorf("petId %s: %q, %v; want %q", tt.petID, got, err, tt.want)
		}
	}
	for _, bad := range []string{`".."`, `"."`, `""`, `{"a":{"b":1}}`, `null`, `[[1]]`} {
		_, err := build(t, get, "https://api.example/v3", `{"petId":`+bad+`}`)
		if !errors.Is(err, ErrArguments) {
			t.Errorf("petId %s: err = %v, want ErrArguments", bad, err)
		}
	}
}

func TestArgumentsAreStrict(t *testing.T) {
	get := toolNamed(t, petstore(t), "getPetById")
	for _, args := range []string{`{}`, `{"petId":1,"extra":2}`, `[1]`, `"x"`, `{"petId":1,"body":{}}`} {
		if _, err := build(t, get, "https://api.example/v3", args); !errors.Is(err, ErrArguments) {
			t.Errorf("args %s: err = %v, want ErrArguments", args, err)
		}
	}
}

func TestQuerySerialisation(t *testing.T) {
	doc := loadYAML(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /s:
    get:
      operationId: search
      parameters:
        - {name: q, in: query, schema: {type: string}}
        - {name: tags, in: query, schema: {type: array, items: {type: string}}}
        - {name: ids, in: query, explode: false, schema: {type: array, items: {type: integer}}}
        - {name: sp, in: query, style: spaceDelimited, schema: {type: array, items: {type: string}}}
        - {name: pp, in: query, style: pipeDelimited, schema: {type: array, items: {type: string}}}
        - {name: filter, in: query, style: deepObject, schema: {type: object}}
        - {name: point, in: query, explode: false, schema: {type: object}}
        - {name: X-Trace, in: header, schema: {type: string}}
      responses: {"200": {description: ok}}
`)
	set, err := Build(doc, opfilter.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	s := set.Tools[0]
	for _, tt := range []struct{ args, want string }{
		{`{"q":"a b&c=d#e"}`, "?q=a%20b%26c%3Dd%23e"},
		{`{"tags":["x","y z"]}`, "?tags=x&tags=y%20z"},
		{`{"ids":[1,2,3]}`, "?ids=1,2,3"},
		{`{"sp":["a","b"]}`, "?sp=a%20b"},
		{`{"pp":["a","b|c"]}`, "?pp=a%7Cb%7Cc"},
		{`{"filter":{"role":"admin","a&b":"1"}}`, "?filter%5Ba%26b%5D=1&filter%5Brole%5D=admin"},
		{`{"point":{"y":2,"x":1}}`, "?point=x,1,y,2"},
		{`{"q":true,"ids":[]}`, "?q=true&ids="},
	} {
		got, err := build(t, s, "https://api.example", tt.args)
		if err != nil || got != "https://api.example/s"+tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.args, got, err, tt.want)
		}
	}
	for _, bad := range []string{`{"filter":"x"}`, `{"tags":[{"a":1}]}`, `{"q":{"a":{"b":1}}}`, `{"X-Trace":"a\r\nHost: evil"}`} {
		if _, err := build(t, s, "https://api.example", bad); !errors.Is(err, ErrArguments) {
			t.Errorf("%s: err = %v, want ErrArguments", bad, err)
		}
	}
}

func TestHeadersAndBody(t *testing.T) {
	set := petstore(t)
	del := toolNamed(t, set, "deletePet")
	a, _ := del.decodeArgs(json.RawMessage(`{"petId":7,"api_key":"k1"}`))
	req, err := del.newRequest(context.Background(), mustURL(t, "https://api.example/v3"), a)
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != "DELETE" || req.URL.String() != "https://api.example/v3/pet/7" || req.Header.Get("api_key") != "k1" {
		t.Errorf("request = %s %s %v", req.Method, req.URL, req.Header)
	}
	add := toolNamed(t, set, "addPet")
	a, _ = add.decodeArgs(json.RawMessage(`{"body":{"name":"Rex","photoUrls":[]}}`))
	req, err = add.newRequest(context.Background(), mustURL(t, "https://api.example/v3"), a)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_, _ = b.ReadFrom(req.Body)
	if req.Method != "POST" || req.Header.Get("Content-Type") != "application/json" || b.String() != `{"name":"Rex","photoUrls":[]}` {
		t.Errorf("request = %s %v %s", req.Method, req.Header, b.String())
	}
	if _, err := build(t, add, "https://api.example/v3", `{}`); !errors.Is(err, ErrArguments) {
		t.Errorf("missing required body: err = %v", err)
	}
}
