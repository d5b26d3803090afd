package compose

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// Limits on what is read from a member: its answers are hostile until
// parsed.
const (
	// maxMessageBytes caps one message (a JSON body or one SSE event).
	maxMessageBytes = 8 << 20
	// maxListPages caps the pages of one member's list followed for one
	// list request.
	maxListPages = 64
	// maxListBytes caps the bytes of one member's list pages together.
	maxListBytes = 32 << 20
	// defaultTimeout is Member.Timeout's default.
	defaultTimeout = 60 * time.Second
)

// MCP's HTTP headers (2025-11-25 and 2026-07-28 basic/transports
// streamable-http).
const (
	headerSession  = "Mcp-Session-Id"
	headerProtocol = "MCP-Protocol-Version"
	headerMethod   = "Mcp-Method"
	headerName     = "Mcp-Name"
)

// errSessionGone: the member answered 404 to a request carrying its
// session id, so it has ended that session (2025-11-25 basic/transports
// §"Session Management", item 4).
var errSessionGone = errors.New("the member ended its session")

// member is one configured backend and what is known about it.
type member struct {
	idx     int
	cfg     Member
	client  *http.Client
	timeout time.Duration
	names   *naming

	// after runs f once d has passed, unless the returned stop is called
	// first (reporting whether it was in time): time.AfterFunc, replaced
	// in tests so that nothing waits for a timeout.
	after func(d time.Duration, f func()) (stop func() bool)

	mu     sync.Mutex
	health MemberHealth
	era    memberEra
}

// memberEra is what a member has shown of the 2026-07-28 revision.
type memberEra int

const (
	eraUnknown memberEra = iota
	eraModern            // answered a 2026-07-28 request
	eraLegacy            // refused one with UnsupportedProtocolVersion
)

func newMember(idx int, cfg Member, names *naming) *member {
	c := &http.Client{}
	if cfg.Client != nil {
		*c = *cfg.Client
	}
	// Never follow a redirect, whatever the Client was built with: the
	// member's credential must not go to a host the member names.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	return &member{idx: idx, cfg: cfg, client: c, timeout: timeout, names: names, after: afterFunc,
		health: MemberHealth{Name: cfg.Name, Up: true}}
}

// outgoing is one POST to a member.
type outgoing struct {
	body    []byte
	session string // the member's Mcp-Session-Id, "" for none
	version string // MCP-Protocol-Version, "" before initialize
	// method and name are the Mcp-Method and Mcp-Name headers of a
	// 2026-07-28 request ("" for none).
	method, name string
	extra        http.Header // more headers (Mcp-Param-*)
}

// answer is a member's HTTP answer to a POST: no message (202), one JSON
// message, or an SSE stream of them.
type answer struct {
	resp    *http.Response
	session string // the Mcp-Session-Id the member set, if any
	sse     *sseReader
	single  []byte
	stream  bool
	cancel  context.CancelFunc
}

// post sends o to m. The wait for the response headers is bounded by the
// member's timeout; the answer is read by the caller and must be closed.
func (m *member) post(ctx context.Context, o outgoing) (*answer, error) {
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.cfg.URL, bytes.NewReader(o.body))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("member %s: %w", m.cfg.Name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	setHeader(req.Header, headerSession, o.session)
	setHeader(req.Header, headerProtocol, o.version)
	setHeader(req.Header, headerMethod, o.method)
	setHeader(req.Header, headerName, encodeHeader(o.name))
	for k, vs := range o.extra {
		req.Header[k] = vs
	}
	resp, err := m.do(req, cancel)
	if err != nil {
		return nil, err
	}
	a := &answer{resp: resp, session: resp.Header.Get(headerSession), cancel: cancel}
	if err := a.start(o.session != "", m.cfg.Name); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// do sends req, cancelling it if the headers take longer than the
// member's timeout.
func (m *member) do(req *http.Request, cancel context.CancelFunc) (*http.Response, error) {
	stop := m.after(m.timeout, cancel)
	resp, err := m.client.Do(req)
	stopped := stop()
	if err != nil {
		cancel()
		if !stopped {
			return nil, fmt.Errorf("member %s: no answer within %s", m.cfg.Name, m.timeout)
		}
		return nil, fmt.Errorf("member %s: %w", m.cfg.Name, redact(err))
	}
	return resp, nil
}

// redact keeps a transport error's kind but not its URL, which may carry
// a credential in its query.
func redact(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

func (a *answer) start(hadSession bool, name string) error {
	r := a.resp
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case r.StatusCode == http.StatusNotFound && hadSession:
		return errSessionGone
	case r.StatusCode >= 300 && r.StatusCode < 400:
		return fmt.Errorf("member %s: answered a redirect (%d), which is never followed", name, r.StatusCode)
	case r.StatusCode == http.StatusAccepted:
		return nil
	case mt == "text/event-stream" && r.StatusCode == http.StatusOK:
		a.stream = true
		a.sse = newSSEReader(r.Body, maxMessageBytes)
		return nil
	case mt == "application/json":
		// Error statuses carry JSON-RPC errors that clients read (an
		// unsupported version, an unknown method): kept as the answer.
		body, err := io.ReadAll(io.LimitReader(r.Body, maxMessageBytes+1))
		if err != nil {
			return fmt.Errorf("member %s: reading the answer: %w", name, err)
		}
		if len(body) > maxMessageBytes {
			return fmt.Errorf("member %s: %w", name, errTooLarge)
		}
		if _, err := decodeMessage(body); err != nil && r.StatusCode < 300 {
			return fmt.Errorf("member %s: malformed answer: %w", name, err)
		} else if err != nil {
			return fmt.Errorf("member %s: answered HTTP %d", name, r.StatusCode)
		}
		a.single = body
		return nil
	}
	return fmt.Errorf("member %s: answered HTTP %d (%q)", name, r.StatusCode, mt)
}

// next returns the answer's next message, or io.EOF.
func (a *answer) next() (jsonrpc.Message, error) {
	switch {
	case a.single != nil:
		body := a.single
		a.single = nil
		return decodeMessage(body)
	case a.sse != nil:
		data, err := a.sse.next()
		if err != nil {
			return nil, err
		}
		return decodeMessage(data)
	}
	return nil, io.EOF
}

func (a *answer) close() {
	a.cancel()
	_, _ = io.CopyN(io.Discard, a.resp.Body, 4<<10)
	_ = a.resp.Body.Close()
}

// deliver sends a message that gets no answer (a notification, or a
// response to a member's request) and reads the 202.
func (m *member) deliver(ctx context.Context, o outgoing) error {
	a, err := m.post(ctx, o)
	if err != nil {
		return err
	}
	defer a.close()
	if a.resp.StatusCode >= 300 {
		return fmt.Errorf("member %s: answered HTTP %d", m.cfg.Name, a.resp.StatusCode)
	}
	return nil
}

// end closes a member session with DELETE (2025-11-25 §"Session
// Management", item 5). A member that does not allow it (405) is fine.
func (m *member) end(ctx context.Context, session, version string) {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, m.cfg.URL, nil)
	if err != nil {
		return
	}
	req.Header.Set(headerSession, session)
	setHeader(req.Header, headerProtocol, version)
	resp, err := m.client.Do(req)
	if err != nil {
		return
	}
	_ = resp.Body.Close()
}

func setHeader(h http.Header, k, v string) {
	if v != "" {
		h.Set(k, v)
	}
}

// encodeHeader writes a header value that is not plain printable ASCII in
// the "=?base64?…?=" form (2026-07-28 streamable-http §"Value Encoding").
func encodeHeader(v string) string {
	plain := utf8.ValidString(v)
	for i := 0; plain && i < len(v); i++ {
		plain = v[i] >= 0x20 && v[i] < 0x7f
	}
	if plain && !strings.HasPrefix(v, "=?base64?") && (len(v) == 0 || (v[0] != ' ' && v[len(v)-1] != ' ')) {
		return v
	}
	return "=?base64?" + base64.StdEncoding.EncodeToString([]byte(v)) + "?="
}

func isEventStream(r *http.Response) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "text/event-stream"
}

func (m *member) setEra(e memberEra) {
	m.mu.Lock()
	m.era = e
	m.mu.Unlock()
}

func (m *member) getEra() memberEra {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.era
}

func afterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
