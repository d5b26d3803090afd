package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/jsonrpc"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// The HTTP+SSE transport of protocol 2024-11-05: the client opens a GET
// stream whose first event, "endpoint", names the URL it must POST its
// messages to. The backend chose that URL, so the gateway replaces it with
// one of its own (a random handle under the server's path), remembers where
// the handle leads and who opened the stream, and proxies each POST there.

// Transports a server can speak.
const (
	TransportStreamable = "streamable-http"
	TransportSSE        = "sse"
)

// legacyMessagePath is appended to a legacy server's path for its POSTs.
const legacyMessagePath = "/message"

// serveLegacyStream handles the GET that opens a legacy SSE stream.
func (rt *route) serveLegacyStream(x *exchange) {
	if x.r.Method != http.MethodGet {
		x.w.Header().Set("Allow", "GET, OPTIONS")
		writeRPCError(x.w, http.StatusMethodNotAllowed, nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: "open the stream with GET; send messages to the endpoint it names"})
		return
	}
	if rt.withCredential(x) {
		// Every answer of this transport comes on the stream.
		x.reply = rt.replyFor(x)
		rt.forward(x)
	}
}

// serveLegacyMessage handles a POST to a handle the stream handed out.
func (rt *route) serveLegacyMessage(w http.ResponseWriter, r *http.Request) {
	x := rt.begin(w, r)
	defer rt.finish(x)
	if r.Method != http.MethodPost && r.Method != http.MethodOptions {
		x.reason = "method"
		w.Header().Set("Allow", "POST, OPTIONS")
		writeRPCError(x.w, http.StatusMethodNotAllowed, nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: "messages are sent with POST"})
		return
	}
	if !rt.admit(x) {
		return
	}
	handle := r.URL.Query().Get("session")
	b, err := rt.gw.sessions.check(r.Context(), rt.Name, handle, x.claims)
	var target *url.URL
	if err == nil && handle != "" && b.Target != "" {
		target, err = url.Parse(b.Target)
	} else if err == nil {
		err = errSessionNotYours
	}
	if err != nil {
		x.reason = "session_not_found"
		rt.sessionError(x.w, err)
		return
	}
	x.target = target
	if rt.withCredential(x) {
		rt.forward(x)
	}
}

// endpointRewriter passes an SSE stream through, replacing the data of
// the first "endpoint" event. Everything after it is copied unchanged.
type endpointRewriter struct {
	src     io.ReadCloser
	r       *bufio.Reader
	out     bytes.Buffer
	replace func(data string) (string, error)
	done    bool // the endpoint event has been rewritten
}

func (e *endpointRewriter) Read(p []byte) (int, error) {
	for e.out.Len() == 0 {
		if e.done {
			return e.r.Read(p)
		}
		if err := e.nextEvent(); err != nil {
			if e.out.Len() > 0 {
				break
			}
			return 0, err
		}
	}
	return e.out.Read(p)
}

// nextEvent reads one event (up to a blank line) into out, rewritten if it
// is the endpoint event.
func (e *endpointRewriter) nextEvent() error {
	var lines []string
	for {
		line, err := e.r.ReadString('\n')
		if err != nil {
			e.out.WriteString(strings.Join(lines, "") + line)
			return err
		}
		lines = append(lines, line)
		if strings.TrimRight(line, "\r\n") == "" {
			break
		}
		if len(lines) > 100 {
			return errors.New("the backend's first SSE event is too long")
		}
	}
	isEndpoint := false
	for _, l := range lines {
		if strings.TrimRight(l, "\r\n") == "event: endpoint" || strings.TrimRight(l, "\r\n") == "event:endpoint" {
			isEndpoint = true
		}
	}
	if !isEndpoint {
		e.out.WriteString(strings.Join(lines, ""))
		return nil
	}
	for i, l := range lines {
		if v, ok := strings.CutPrefix(strings.TrimRight(l, "\r\n"), "data:"); ok {
			public, err := e.replace(strings.TrimPrefix(v, " "))
			if err != nil {
				return err
			}
			lines[i] = "data: " + public + "\n"
		}
	}
	e.out.WriteString(strings.Join(lines, ""))
	e.done = true
	return nil
}

func (e *endpointRewriter) Close() error { return e.src.Close() }

// rewriteLegacyStream installs the endpoint rewriter on a legacy stream.
func (rt *route) rewriteLegacyStream(resp *http.Response, claims *tokens.AccessClaims) {
	upstream := resp.Request.URL
	ctx := resp.Request.Context()
	resp.Body = &endpointRewriter{src: resp.Body, r: bufio.NewReader(resp.Body), replace: func(data string) (string, error) {
		target, err := upstream.Parse(data)
		if err != nil || target.Host != upstream.Host || target.Scheme != upstream.Scheme {
			// A backend may not send our clients' messages elsewhere.
			return "", errors.New("the backend's endpoint event names another host")
		}
		handle := tokens.NewID()
		if err := rt.gw.sessions.bind(ctx, rt.Name, handle, target.String(), claims); err != nil {
			return "", err
		}
		return rt.Resource + legacyMessagePath + "?session=" + url.QueryEscape(handle), nil
	}}
}
