package audit

import (
	"encoding/json"
	"strings"
)

const redacted = "[redacted]"

// Redact returns the JSON value with the value of every object member whose
// name contains one of keys (case-insensitively) replaced, at any depth.
// Invalid JSON is dropped entirely rather than recorded as is.
func Redact(raw json.RawMessage, keys []string) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil
	}
	out, err := json.Marshal(redactValue(v, keys))
	if err != nil {
		return nil
	}
	return out
}

func redactValue(v any, keys []string) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if sensitive(k, keys) {
				t[k] = redacted
			} else {
				t[k] = redactValue(val, keys)
			}
		}
	case []any:
		for i := range t {
			t[i] = redactValue(t[i], keys)
		}
	}
	return v
}

func sensitive(name string, keys []string) bool {
	n := strings.ToLower(name)
	for _, k := range keys {
		if strings.Contains(n, strings.ToLower(k)) {
			return true
		}
	}
	return false
}
