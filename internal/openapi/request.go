package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// ErrArguments is wrapped by every error about a call's arguments; its
// message is safe to show the caller.
var ErrArguments = errors.New("invalid arguments")

func argError(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrArguments, fmt.Sprintf(format, a...))
}

// decodeArgs reads a call's arguments: a JSON object (or nothing), with
// numbers kept as written. An argument the tool does not declare is
// refused rather than ignored.
func (t *Tool) decodeArgs(raw json.RawMessage) (map[string]any, error) {
	args := map[string]any{}
	if len(bytes.TrimSpace(raw)) > 0 && string(bytes.TrimSpace(raw)) != "null" {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&args); err != nil {
			return nil, argError("arguments must be a JSON object")
		}
	}
	for name := range args {
		if !t.declares(name) {
			return nil, argError("unknown argument %q", name)
		}
	}
	return args, nil
}

func (t *Tool) declares(name string) bool {
	if name == bodyArgument && t.op.body != nil {
		return true
	}
	for _, p := range t.op.params {
		if p.name == name {
			return true
		}
	}
	return false
}

// newRequest builds the operation's HTTP request against base, the only
// place it may go. Arguments fill in the path template, the query, the
// declared header parameters and the JSON body; none of them can change
// the scheme, the host or the path's structure.
func (t *Tool) newRequest(ctx context.Context, base *url.URL, args map[string]any) (*http.Request, error) {
	for _, p := range t.op.params {
		if v, ok := args[p.name]; p.required && (!ok || v == nil) {
			return nil, argError("%q is required", p.name)
		}
	}
	path, err := t.expandPath(args)
	if err != nil {
		return nil, err
	}
	u := *base
	u.RawPath = strings.TrimSuffix(base.EscapedPath(), "/") + path
	if u.Path, err = url.PathUnescape(u.RawPath); err != nil {
		return nil, argError("the path cannot be built")
	}
	if u.RawQuery, err = t.query(args); err != nil {
		return nil, err
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Scheme != base.Scheme || u.Host != base.Host {
		return nil, argError("the request would leave the base URL")
	}
	payload, err := t.payload(args)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, t.op.method, u.String(), payload)
	if err != nil {
		return nil, argError("the request cannot be built")
	}
	if req.URL.Host != base.Host {
		return nil, argError("the request would leave the base URL")
	}
	if err := t.setHeaders(req.Header, args); err != nil {
		return nil, err
	}
	return req, nil
}

// expandPath fills in the path template. Each value is percent-encoded
// as a path segment (RFC 3986 §3.3), so /, ?, # and % cannot change the
// path's structure; a value that would be a dot segment or empty, which a
// server normalises away (RFC 3986 §5.2.4), is refused.
func (t *Tool) expandPath(args map[string]any) (string, error) {
	var b strings.Builder
	rest := t.op.path
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:i])
		name := rest[i+1 : i+j]
		p := t.param("path", name)
		seg, err := pathValue(name, args[name], p.explode)
		if err != nil {
			return "", err
		}
		b.WriteString(seg)
		rest = rest[i+j+1:]
	}
}

func (t *Tool) param(in, name string) param {
	for _, p := range t.op.params {
		if p.in == in && p.name == name {
			return p
		}
	}
	return param{name: name, in: in}
}

func pathValue(name string, v any, explode bool) (string, error) {
	parts, err := simpleParts(name, v, explode)
	if err != nil {
		return "", err
	}
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	seg := strings.Join(parts, ",")
	if seg == "" || seg == "." || seg == ".." {
		return "", argError("%q cannot be %q in a path", name, seg)
	}
	return seg, nil
}

// simpleParts serialises a value in style simple (OpenAPI "Style
// Values"): the pieces, still unescaped, that are joined with commas.
func simpleParts(name string, v any, explode bool) ([]string, error) {
	switch x := v.(type) {
	case []any:
		return scalars(name, x)
	case map[string]any:
		var parts []string
		for _, k := range sortedKeys(x) {
			s, err := scalar(name, x[k])
			if err != nil {
				return nil, err
			}
			if explode {
				parts = append(parts, k+"="+s)
			} else {
				parts = append(parts, k, s)
			}
		}
		return parts, nil
	}
	s, err := scalar(name, v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func scalars(name string, list []any) ([]string, error) {
	out := make([]string, len(list))
	for i, e := range list {
		s, err := scalar(name, e)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// scalar is the text of a primitive value; nested arrays and objects have
// no serialisation in OpenAPI's styles.
func scalar(name string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	}
	return "", argError("%q must be a string, number or boolean here", name)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// payload is the JSON request body, if the call has one.
func (t *Tool) payload(args map[string]any) (*bytes.Reader, error) {
	if t.op.body == nil {
		return bytes.NewReader(nil), nil
	}
	v, ok := args[bodyArgument]
	if !ok {
		if t.op.body.required {
			return nil, argError("%q is required", bodyArgument)
		}
		return bytes.NewReader(nil), nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, argError("the body cannot be encoded as JSON")
	}
	return bytes.NewReader(data), nil
}

// setHeaders sets the declared header parameters (never one the caller
// may not set: newParam left those out) and the body's media type.
func (t *Tool) setHeaders(h http.Header, args map[string]any) error {
	h.Set("Accept", "application/json, */*;q=0.5")
	if t.op.body != nil {
		if _, ok := args[bodyArgument]; ok {
			h.Set("Content-Type", t.op.body.contentType)
		}
	}
	for _, p := range t.op.params {
		v, ok := args[p.name]
		if p.in != "header" || !ok || v == nil {
			continue
		}
		parts, err := simpleParts(p.name, v, p.explode)
		if err != nil {
			return err
		}
		s := strings.Join(parts, ",")
		if strings.ContainsAny(s, "\r\n\x00") {
			return argError("%q cannot contain line breaks", p.name)
		}
		h.Set(p.name, s)
	}
	return nil
}
