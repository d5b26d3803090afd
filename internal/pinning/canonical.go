package pinning

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// pinnedFields are the members of a tool definition (MCP "Tools", the Tool
// object) that tell a model what the tool does and takes, and so what a
// pin covers. Others (_meta, icons, execution) can change without review.
var pinnedFields = []string{"name", "title", "description", "inputSchema", "outputSchema", "annotations"}

// maxDepth bounds the nesting of a definition, as jsonrpc.MaxDepth bounds
// a request's.
const maxDepth = 64

// errUnreadable: a definition two clients could read two ways. It is
// never shown where pins are enforced.
var errUnreadable = errors.New("unreadable tool definition")

// Definition is one tool of a tools/list result, read for pinning.
type Definition struct {
	// Name is the tool's name member.
	Name string
	// Canonical is the pinned members in canonical JSON (RFC 8785 in
	// spirit: sorted member names, no insignificant whitespace, minimal
	// string escapes, numbers in one form), what Hash is taken over.
	Canonical []byte
	// Hash is the hex SHA-256 of Canonical.
	Hash string
}

// Read reads one tool definition strictly. It refuses, rather than pins,
// what clients could read differently: text that is not one JSON object,
// a member name repeated anywhere (parsers keep the first or the last), a
// member named like a pinned one in another case (some parsers match
// names case-insensitively), and a definition without a string name.
func Read(raw []byte) (Definition, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	members, err := readObject(dec, 0)
	if err != nil {
		return Definition{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return Definition{}, fmt.Errorf("%w: data after the definition", errUnreadable)
	}
	kept := map[string][]byte{}
	for name, v := range members {
		for _, f := range pinnedFields {
			switch {
			case name == f:
				kept[name] = v
			case strings.EqualFold(name, f):
				return Definition{}, fmt.Errorf("%w: the member %q differs from %q only in case", errUnreadable, name, f)
			}
		}
	}
	var d Definition
	if json.Unmarshal(kept["name"], &d.Name) != nil {
		return Definition{}, fmt.Errorf("%w: no string name", errUnreadable)
	}
	d.Canonical = encodeObject(kept)
	sum := sha256.Sum256(d.Canonical)
	d.Hash = hex.EncodeToString(sum[:])
	return d, nil
}

// readObject reads an object whose '{' is next, each member's value in
// canonical form.
func readObject(dec *json.Decoder, depth int) (map[string][]byte, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnreadable, err)
	}
	if tok != json.Delim('{') {
		return nil, fmt.Errorf("%w: not an object", errUnreadable)
	}
	return readMembers(dec, depth)
}

func readMembers(dec *json.Decoder, depth int) (map[string][]byte, error) {
	members := map[string][]byte{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errUnreadable, err)
		}
		name, _ := tok.(string)
		if _, dup := members[name]; dup {
			return nil, fmt.Errorf("%w: the member %q is repeated", errUnreadable, name)
		}
		if members[name], err = readValue(dec, depth+1); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, fmt.Errorf("%w: %w", errUnreadable, err)
	}
	return members, nil
}

// readValue reads the next value and returns its canonical encoding.
func readValue(dec *json.Decoder, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d", errUnreadable, maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnreadable, err)
	}
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			m, err := readMembers(dec, depth)
			if err != nil {
				return nil, err
			}
			return encodeObject(m), nil
		}
		return readArray(dec, depth)
	case string:
		return encodeString(v), nil
	case json.Number:
		return encodeNumber(v), nil
	case bool:
		return strconv.AppendBool(nil, v), nil
	}
	return []byte("null"), nil
}

func readArray(dec *json.Decoder, depth int) ([]byte, error) {
	out := []byte{'['}
	for dec.More() {
		v, err := readValue(dec, depth+1)
		if err != nil {
			return nil, err
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, v...)
	}
	if _, err := dec.Token(); err != nil { // ']'
		return nil, fmt.Errorf("%w: %w", errUnreadable, err)
	}
	return append(out, ']'), nil
}

// encodeObject writes members sorted by name (byte order of their UTF-8,
// which for the names MCP uses is RFC 8785's UTF-16 order too).
func encodeObject(m map[string][]byte) []byte {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	out := []byte{'{'}
	for i, n := range names {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, encodeString(n)...)
		out = append(out, ':')
		out = append(out, m[n]...)
	}
	return append(out, '}')
}

// encodeString escapes only what JSON requires (and no HTML characters),
// so that one string has one encoding however the server escaped it.
func encodeString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'})
}

// encodeNumber writes a number in one form (1, 1.0 and 1e0 are one
// number), as the float64 every JavaScript client reads it as.
func encodeNumber(n json.Number) []byte {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		return []byte(n)
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64)
}
