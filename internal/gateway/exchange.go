package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/jsonrpc"
	"github.com/drawbridge-mcp/drawbridge/internal/policy"
	"github.com/drawbridge-mcp/drawbridge/internal/requestid"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// exchange is one request's passage through the gateway: what admit
// learnt and decided, what the proxy hooks need to build the backend
// request and read its answer, and what the audit trail records. It is
// the only per-request value the gateway puts in a context (withExchange):
// the proxy hooks and in-process backends find it there.
type exchange struct {
	w        *countingWriter // &cw
	cw       countingWriter
	r        *http.Request
	start    time.Time
	claims   *tokens.AccessClaims
	scopes   []string        // the token's scopes, as the scope check read them
	id       policy.Identity // the caller as policies see it, once haveID
	haveID   bool
	body     *jsonrpc.Body // a POST's body, as read
	verdicts []verdict     // the decision on each of its messages
	one      [1]verdict    // verdicts' array for a body of one message
	extra    [][]byte      // a batch's refusals, added to the answer
	reason   string        // why the gateway refused the request; "" if it did not
	detail   string        // the refusal in words, for the audit trail
	// refused is whose genuine token was refused (decision.refused).
	refused   *tokens.AccessClaims
	rule      string // the policy rule that decided, if one did
	preflight bool

	// reply is what must change in the backend's answer; nil for nothing.
	reply *reply
	// session is the Mcp-Session-Id the request named, checked to belong
	// to the caller; "" for none.
	session string
	// cred are the backend's own credential headers for this caller.
	cred http.Header
	// target is where a legacy (HTTP+SSE) message goes: the URL the
	// backend's endpoint event named; nil for other requests.
	target *url.URL
	// routes are where an in-process backend sent the request on
	// (NoteRouted).
	routes routes

	// out holds the backend request's parts that would otherwise each
	// be an allocation of their own.
	out struct {
		url    url.URL
		body   bodyReader
		header headerSetter
		vals   [12]string // header's values
	}
}

type exchangeKey struct{}

// withExchange is ctx carrying x, for the proxy hooks and in-process
// backends.
func withExchange(ctx context.Context, x *exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, x)
}

// exchangeOf is the exchange ctx carries; nil outside the gateway.
func exchangeOf(ctx context.Context) *exchange {
	x, _ := ctx.Value(exchangeKey{}).(*exchange)
	return x
}

// Claims returns the verified claims of the request being served, for
// in-process backends; nil outside a request the gateway admitted.
func Claims(ctx context.Context) *tokens.AccessClaims {
	if x := exchangeOf(ctx); x != nil {
		return x.claims
	}
	return nil
}

// singleID is the id of a body that is one request, for error answers.
func (x *exchange) singleID() []byte {
	if x.body == nil || x.body.Batch {
		return nil
	}
	return x.body.Messages[0].ID
}

func (rt *route) begin(w http.ResponseWriter, r *http.Request) *exchange {
	x := &exchange{cw: countingWriter{ResponseWriter: w}, r: r, start: time.Now()}
	x.w = &x.cw // one allocation for both
	return x
}

// finish records the request: one audit event per JSON-RPC message (each
// message of a batch is decided, and recorded, on its own), or one for a
// request without a body. CORS preflights carry no identity and are not
// MCP requests, so they are not recorded.
func (rt *route) finish(x *exchange) {
	rec := rt.gw.opt.Audit
	if rec == nil || x.preflight {
		return
	}
	e := audit.Event{
		Type: audit.MCPRequest, RequestID: requestid.From(x.r.Context()), Server: rt.Name,
		Status: x.w.status, DurationMS: float64(time.Since(x.start).Microseconds()) / 1000,
		BytesIn: x.r.ContentLength, BytesOut: x.w.bytes, Remote: clientaddr.String(x.r), Decision: audit.DecisionAllow,
	}
	if c := x.claims; c != nil {
		e.Subject, e.ClientID, e.GrantID = c.Subject, c.ClientID, c.GrantID
	} else if c := x.refused; c != nil {
		// The token's audience says which resource it was for: what an
		// administrator needs to see when a client calls the wrong one.
		e.Subject, e.ClientID, e.GrantID, e.Resource = c.Subject, c.ClientID, c.GrantID, c.Audience
	}
	e.Detail = x.detail
	if e.Status == 0 {
		e.Status = 499 // the client went away before an answer (nginx's convention)
	}
	if x.body == nil {
		e.Method = "http " + x.r.Method
		rec.Record(decided(e, x.reason, x.rule))
		return
	}
	for i := range x.body.Messages {
		m := &x.body.Messages[i]
		me := e
		me.Method, me.Name = m.Method, targetOf(m)
		if m.Method == "" {
			me.Method = "response"
		}
		if r, ok := x.routes.only(); ok && me.Name != "" {
			me.Backend, me.BackendName = r.backend, r.name
		}
		if rt.gw.opt.AuditArguments && len(m.Arguments) > 0 {
			me.Arguments = audit.Redact(m.Arguments, rt.gw.opt.RedactKeys)
		}
		reason, rule := x.reason, x.rule
		if i < len(x.verdicts) {
			if v := &x.verdicts[i]; v.reason != "" {
				reason, rule = v.reason, v.rule
			} else if rule == "" {
				rule = v.rule
			}
		}
		rec.Record(decided(me, reason, rule))
	}
}

// decided sets an event's decision: denied when there is a reason.
func decided(e audit.Event, reason, rule string) audit.Event {
	if reason != "" {
		e.Decision, e.Reason = audit.DecisionDeny, reason
	}
	e.Rule = rule
	return e
}

// countingWriter remembers the status and counts the bytes of a response.
// Flush and Unwrap pass through, so streams keep streaming.
type countingWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	ka     *keepAlive // on SSE streams from a backend
	// revoked and grant, when set, refuse writes to an event stream once
	// the grant is revoked (watchGrant); stream is set when the header
	// says it is one.
	revoked Revocations
	grant   string
	stream  bool
}

// Revocations tells whether a grant has been revoked.
type Revocations interface {
	IsRevoked(grantID string) bool
}

// errGrantRevoked ends a stream whose grant was revoked while it was open.
var errGrantRevoked = errors.New("the grant of the stream's access token has been revoked")

// watchGrant makes the stream of this answer, if it is one, end at its
// first write after grant is revoked: a stream stays open for as long as
// the backend likes, and the token was checked only when it opened, so
// without this a revoked client would go on receiving what the backend
// sends (notifications, the answers of a legacy SSE session).
// Checking at each write is enough: an idle stream carries nothing.
func (w *countingWriter) watchGrant(revoked Revocations, grant string) {
	w.revoked, w.grant = revoked, grant
}

// setStatus notes the answer's status, and whether it is a stream whose
// grant is watched, when its header goes out.
func (w *countingWriter) setStatus(code int) {
	w.status = code
	w.stream = w.revoked != nil && isEventStream(w.Header().Get("Content-Type"))
}

func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.setStatus(code)
	}
	w.ResponseWriter.WriteHeader(code)
	if w.ka != nil && code >= 200 {
		w.ka.mu.Lock()
		w.ka.arm()
		w.ka.mu.Unlock()
	}
}

func (w *countingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.setStatus(http.StatusOK)
	}
	if w.stream && w.revoked.IsRevoked(w.grant) {
		return 0, errGrantRevoked
	}
	if w.ka != nil {
		w.ka.mu.Lock()
		defer w.ka.mu.Unlock()
		defer w.ka.wrote(b)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *countingWriter) Flush() {
	if w.ka != nil {
		w.ka.mu.Lock()
		defer w.ka.mu.Unlock()
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func remoteHost(r *http.Request) string {
	host := r.RemoteAddr
	for i := len(host) - 1; i >= 0; i-- {
		if host[i] == ':' {
			host = host[:i]
			break
		}
	}
	if len(host) > 1 && host[0] == '[' {
		host = host[1 : len(host)-1]
	}
	return host
}
