package openapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Source says where the document is and how much of it to read.
type Source struct {
	// Spec is a file path or an http(s) URL.
	Spec string
	// MaxBytes bounds the document's size.
	MaxBytes int64
	// HTTPClient fetches a URL spec; its Timeout bounds the fetch.
	HTTPClient *http.Client
}

// ErrTooLarge is returned for a document or response over its size cap.
var ErrTooLarge = errors.New("larger than the configured limit")

// Load reads and parses the document, resolving its internal $refs.
// External $refs are refused (see the package documentation).
func Load(ctx context.Context, src Source) (*openapi3.T, error) {
	data, err := read(ctx, src)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("openapi document %s: %w", docName(src.Spec), err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		return nil, fmt.Errorf("openapi document %s: version %q is not OpenAPI 3", docName(src.Spec), doc.OpenAPI)
	}
	return doc, nil
}

func read(ctx context.Context, src Source) ([]byte, error) {
	if isURL(src.Spec) {
		return fetch(ctx, src)
	}
	f, err := os.Open(src.Spec)
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	defer f.Close()
	return readCapped(f, src.MaxBytes, src.Spec)
}

// docName names the document in errors, which reach logs: a URL without
// what may carry a key.
func docName(spec string) string {
	if isURL(spec) {
		return redactURL(spec)
	}
	return spec
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// fetch gets a URL spec once, within the client's timeout and the size
// cap; a redirect is not followed (the configured URL is the document).
func fetch(ctx context.Context, src Source) ([]byte, error) {
	name := redactURL(src.Spec)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.Spec, nil)
	if err != nil {
		return nil, fmt.Errorf("openapi document %s: unusable URL", name)
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9, */*;q=0.1")
	c := *src.HTTPClient
	c.CheckRedirect = noRedirects
	resp, err := c.Do(req)
	if err != nil {
		// A *url.Error repeats the URL, query included: keep only why.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return nil, fmt.Errorf("openapi document %s: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("openapi document %s: HTTP %d", name, resp.StatusCode)
	}
	return readCapped(resp.Body, src.MaxBytes, name)
}

func readCapped(r io.Reader, max int64, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("openapi document %s: %w", name, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("openapi document %s: %w (%d bytes)", name, ErrTooLarge, max)
	}
	return data, nil
}

// noRedirects refuses every redirect: the response is what the caller
// gets (a 3xx is then an error to report, never a hop elsewhere).
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// redactURL drops a URL's user information and query, which may carry a
// key, from error messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
