package doctor

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
)

// Caps on what a server can make the doctor read.
const (
	maxBody        = 256 << 10
	maxHeaderBytes = 64 << 10
)

// response is what the doctor keeps of an HTTP exchange: never more than
// maxBody of the body.
type response struct {
	url    string
	status int
	header http.Header
	body   []byte
	// tls is the connection's state, for an https request.
	tls *tls.ConnectionState
}

// client makes the doctor's requests: no redirects followed (each is
// reported), no cookies, every request bounded by the timeout, every body
// by maxBody. It notes each response's Date for the clock check.
type client struct {
	hc      *http.Client
	timeout time.Duration
	now     func() time.Time

	mu    sync.Mutex
	dates []dateSeen
}

// dateSeen is a Date header and this machine's clock when it arrived.
type dateSeen struct {
	date, local time.Time
}

func newClient(roots *x509.CertPool, timeout time.Duration, now func() time.Time, insecure bool) *client {
	tr := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            (&net.Dialer{Timeout: timeout}).DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: maxHeaderBytes,
		DisableCompression:     true,
		ForceAttemptHTTP2:      true,
		MaxIdleConnsPerHost:    4,
	}
	if insecure {
		// Only after the tls check has reported the certificate's problem,
		// so that the other checks can still run. The doctor sends no
		// credential anywhere, so an unverified connection exposes nothing.
		tr.TLSClientConfig.InsecureSkipVerify = true
	}
	return &client{timeout: timeout, now: now, hc: &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// do sends one request and reads at most maxBody of the answer; a longer
// body is an error.
func (c *client) do(ctx context.Context, method, url string, header http.Header, body []byte) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "drawbridge-doctor")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, describeNetError(err)
	}
	defer resp.Body.Close()
	c.noteDate(resp.Header)
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer from %s: %w", url, describeNetError(err))
	}
	if len(data) > maxBody {
		return nil, fmt.Errorf("%s answered with more than %d KiB", url, maxBody>>10)
	}
	return &response{url: url, status: resp.StatusCode, header: resp.Header, body: data, tls: resp.TLS}, nil
}

func (c *client) get(ctx context.Context, url string, header http.Header) (*response, error) {
	return c.do(ctx, http.MethodGet, url, header, nil)
}

func (c *client) noteDate(h http.Header) {
	d, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.dates) < 64 {
		c.dates = append(c.dates, dateSeen{date: d, local: c.now()})
	}
}

// describeNetError turns the errors of net/http into words a person
// reading the report can act on.
func describeNetError(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("no answer in time (%w)", err)
	}
	return err
}

// jsonObject reads a JSON document strictly into v: valid UTF-8, one
// object, no member named twice, nothing after it, every known member of
// the right type (RFC 8259; RFC 8414 §3.2 and RFC 9728 §3.2 say the
// documents are JSON objects).
func jsonObject(r *response, v any) error {
	if t := bytes.TrimSpace(r.body); len(t) == 0 || t[0] != '{' {
		return errors.New("the body is not a JSON object")
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		return fmt.Errorf("the body is not valid JSON: %s", clip(err.Error(), 160))
	}
	return nil
}

// isJSON reports whether the response says it is JSON.
func isJSON(r *response) bool {
	mt, _, err := mime.ParseMediaType(r.header.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// quote shows a value the server sent: quoted, escaped, and cut short.
func quote(s string) string { return strconv.Quote(clip(s, 200)) }

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
