package oauthclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// FetchKeySet reads the JSON Web Key Set (RFC 7517 §5) at uri: ten seconds
// at most, the body capped at limit bytes, anything but 200 an error.
// Callers choose which of its keys they trust.
func FetchKeySet(ctx context.Context, hc *http.Client, uri string, limit int64) (*jose.JSONWebKeySet, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks_uri answered %d", resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, limit)).Decode(&set); err != nil {
		return nil, fmt.Errorf("jwks_uri: %w", err)
	}
	return &set, nil
}
