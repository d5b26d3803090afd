package dpop_test

import (
	"encoding/base64"
	"encoding/json"
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func jsonB64(v any) (string, error) {
	b, err := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b), err
}
