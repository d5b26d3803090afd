package jsonrpc

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/lookalike"
)

// Body is a request body as the gateway read it.
type Body struct {
	// Raw is the canonical encoding of the whole body: what is forwarded.
	Raw []byte
	// Batch is set when the body was a JSON array of messages (JSON-RPC
	// 2.0 §6; MCP 2025-03-26 only).
	Batch    bool
	Messages []Message
}

// Message is one JSON-RPC message: a request, a notification or a
// response (to a request the server sent the client).
type Message struct {
	// Raw is the message's canonical encoding.
	Raw []byte
	// ID is the canonical encoding of the id (a string, or an integer
	// within JavaScript's safe range); nil for a notification.
	ID []byte
	// Method is empty for a response.
	Method string
	// Name, URI and TaskID are the params members the gateway reads, when
	// they are strings: the tool or prompt, the resource, the task.
	Name, URI, TaskID string
	// Arguments is the canonical encoding of params.arguments, nil if
	// absent (always an object for tools/call and prompts/get).
	Arguments []byte
	// ProtocolVersion is params._meta["io.modelcontextprotocol/protocolVersion"]
	// (MCP 2026-07-28), "" if absent.
	ProtocolVersion string
}

// IsRequest reports whether the message expects a response.
func (m *Message) IsRequest() bool { return m.Method != "" && m.ID != nil }

// IsNotification reports whether the message is a notification.
func (m *Message) IsNotification() bool { return m.Method != "" && m.ID == nil }

// Target returns the params value that names what a method acts on — the
// value the Mcp-Name header mirrors (MCP 2026-07-28 "Standard Request
// Headers"; the tasks extension, SEP-2663, for tasks/*) and the one
// policy decides on — and whether the method has one.
func (m *Message) Target() (string, bool) {
	switch targetParam[m.Method] {
	case "name":
		return m.Name, true
	case "uri":
		return m.URI, true
	case "taskId":
		return m.TaskID, true
	}
	return "", false
}

// targetParam names, per method, the params member Target returns. Read
// refuses a request for one of these methods without that member as a
// string.
var targetParam = map[string]string{
	"tools/call":     "name",
	"prompts/get":    "name",
	"resources/read": "uri",
	"tasks/get":      "taskId",
	"tasks/update":   "taskId",
	"tasks/cancel":   "taskId",
}

// gatedMethods are the methods some check of the gateway is about: a call
// the policy, pinning and limits decide, or a list they filter. A method
// spelled like one of them only in another way (case, padding, fullwidth:
// package lookalike) is refused, for a backend that dispatches methods
// loosely would run it with none of those checks.
var gatedMethods = map[string]bool{
	"tools/call": true, "prompts/get": true, "resources/read": true,
	"tasks/get": true, "tasks/update": true, "tasks/cancel": true,
	"tools/list": true, "prompts/list": true, "resources/list": true, "resources/templates/list": true,
}

// gatedKeys maps each gated method's look-alike key to its spelling.
var gatedKeys = func() map[string]string {
	m := map[string]string{}
	for name := range gatedMethods {
		m[lookalike.Key(name)] = name
	}
	return m
}()

// knownStrings are the JSON-RPC version and MCP's methods, each mapped to
// itself: a string member that holds one is read as its entry, not as a
// copy of its own.
var knownStrings = func() map[string]string {
	m := map[string]string{}
	for _, name := range []string{"2.0", "initialize", "ping", "tools/call", "tools/list", "prompts/get", "prompts/list",
		"resources/read", "resources/list", "resources/templates/list", "resources/subscribe", "resources/unsubscribe",
		"completion/complete", "logging/setLevel", "tasks/get", "tasks/update", "tasks/cancel", "tasks/list", "tasks/result",
		"notifications/initialized", "notifications/cancelled", "notifications/progress", "notifications/roots/list_changed"} {
		m[name] = name
	}
	return m
}()

// HasArguments: the methods whose params.arguments must be an object.
var hasArguments = map[string]bool{"tools/call": true, "prompts/get": true}

// Member names Read reads; a member named like one of these in another
// case is refused.
var (
	messageNames = []string{"jsonrpc", "id", "method", "params", "result", "error"}
	paramsNames  = []string{"name", "uri", "taskId", "arguments", "_meta"}
	metaNames    = []string{metaProtocolVersion}
)

const metaProtocolVersion = "io.modelcontextprotocol/protocolVersion"

// Read parses a request body strictly (see the package documentation).
// The error is an *Error.
func Read(data []byte) (*Body, error) {
	s := &scanner{in: data, out: make([]byte, 0, len(data))}
	// A body is nearly always one message: the Body and its message are
	// then one allocation, and the message's spans stay on the stack.
	one := &struct {
		b Body
		m [1]Message
	}{}
	b := &one.b
	var first [1]msgSpans
	spans := first[:0]
	switch c := s.peek(); c {
	case '[':
		b.Batch = true
		err := s.array(func(int) error {
			sp, err := s.message()
			spans = append(spans, sp)
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(spans) == 0 {
			return nil, invalidRequest("an empty batch")
		}
	default:
		sp, err := s.message()
		if err != nil {
			return nil, err
		}
		spans = append(spans, sp)
	}
	if s.peek() != 0 {
		return nil, parseError("data after the JSON value at offset %d", s.pos)
	}
	b.Raw = s.out
	if len(spans) == 1 {
		b.Messages = one.m[:]
	} else {
		b.Messages = make([]Message, len(spans))
	}
	for i := range spans {
		b.Messages[i] = spans[i].message(s)
	}
	if b.Batch {
		if err := uniqueIDs(b.Messages); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// msgSpans is a message being read: what it holds, by position in the
// canonical output.
type msgSpans struct {
	raw, id, args       span
	method, name, uri   string
	taskID, version     string
	hasID, hasArgs      bool
	hasResult, hasError bool
	jsonrpc             string
}

func (sp *msgSpans) message(s *scanner) Message {
	m := Message{Raw: s.bytes(sp.raw), Method: sp.method, Name: sp.name, URI: sp.uri, TaskID: sp.taskID, ProtocolVersion: sp.version}
	if sp.hasID {
		m.ID = s.bytes(sp.id)
	}
	if sp.hasArgs {
		m.Arguments = s.bytes(sp.args)
	}
	return m
}

// message reads one message object.
func (s *scanner) message() (msgSpans, error) {
	var sp msgSpans
	if s.peek() != '{' {
		if err := s.value(); err != nil {
			return sp, err
		}
		return sp, invalidRequest("a JSON-RPC message must be an object")
	}
	sp.raw.start = len(s.out)
	var hasMethod bool
	var p paramsSeen
	err := s.object(func(name []byte) error {
		switch string(name) {
		case "jsonrpc":
			return s.stringMember(name, &sp.jsonrpc, invalidRequest)
		case "id":
			sp.hasID = true
			return s.id(&sp.id)
		case "method":
			hasMethod = true
			return s.stringMember(name, &sp.method, invalidRequest)
		case "params":
			return s.params(&sp, &p)
		case "result":
			sp.hasResult = true
			return s.value()
		case "error":
			sp.hasError = true
			return s.value()
		}
		return unknownMember(name, messageNames, invalidRequest)
	})
	if err != nil {
		return sp, err
	}
	sp.raw.end = len(s.out)
	return sp, sp.check(hasMethod, &p)
}

// paramsSeen records which params members were present but not of the
// type the gateway reads them as.
type paramsSeen struct {
	present                    bool
	badName, badURI, badTask   bool
	argsNotObject              bool
	hasName, hasURI, hasTaskID bool
}

func (s *scanner) params(sp *msgSpans, p *paramsSeen) error {
	p.present = true
	if s.peek() != '{' {
		if err := s.value(); err != nil {
			return err
		}
		return invalidRequest("params must be an object")
	}
	return s.object(func(name []byte) error {
		switch string(name) {
		case "name":
			p.hasName = true
			return s.optionalString(&sp.name, &p.badName)
		case "uri":
			p.hasURI = true
			return s.optionalString(&sp.uri, &p.badURI)
		case "taskId":
			p.hasTaskID = true
			return s.optionalString(&sp.taskID, &p.badTask)
		case "arguments":
			// null is absent arguments (the Go SDK sends it so).
			c := s.peek()
			sp.hasArgs, p.argsNotObject = c != 'n', c != '{' && c != 'n'
			sp.args.start = len(s.out)
			err := s.value()
			sp.args.end = len(s.out)
			return err
		case "_meta":
			return s.meta(sp)
		}
		// Other params are the method's own and pass through.
		if known, ok := caseVariant(name, paramsNames...); ok {
			return invalidRequest("the member %s is not %q (member names are case-sensitive)", quoteName(name), known)
		}
		return s.value()
	})
}

func (s *scanner) meta(sp *msgSpans) error {
	if s.peek() != '{' {
		if err := s.value(); err != nil {
			return err
		}
		return invalidParams("params._meta must be an object")
	}
	return s.object(func(name []byte) error {
		if string(name) == metaProtocolVersion {
			return s.stringMember(name, &sp.version, invalidParams)
		}
		if known, ok := caseVariant(name, metaNames...); ok {
			return invalidRequest("the member %s is not %q (member names are case-sensitive)", quoteName(name), known)
		}
		return s.value()
	})
}

// unknownMember refuses a member of a message: a case variant of a name
// the gateway reads, or (at the top level, which JSON-RPC defines
// completely) any name it does not know.
func unknownMember(name []byte, known []string, fail func(string, ...any) *Error) *Error {
	if k, ok := caseVariant(name, known...); ok {
		return fail("the member %s is not %q (member names are case-sensitive)", quoteName(name), k)
	}
	return fail("unknown member %s", quoteName(name))
}

// stringMember reads a value that must be a string.
func (s *scanner) stringMember(name []byte, dst *string, fail func(string, ...any) *Error) error {
	if s.peek() != '"' {
		if err := s.value(); err != nil {
			return err
		}
		return fail("%s must be a string", quoteName(name))
	}
	sp, err := s.str()
	if err != nil {
		return err
	}
	*dst = unquote(s.bytes(sp))
	return nil
}

// optionalString reads a value that the gateway reads when it is a
// string; whether another type is an error depends on the method.
func (s *scanner) optionalString(dst *string, bad *bool) error {
	if s.peek() != '"' {
		*bad = true
		return s.value()
	}
	sp, err := s.str()
	if err != nil {
		return err
	}
	*dst = unquote(s.bytes(sp))
	return nil
}

// maxSafeID is JavaScript's largest safe integer: ids up to it survive
// every parser unchanged, so a response can be matched to its request.
const maxSafeID = 1<<53 - 1

// id reads a request id: a string or an integer (MCP's RequestId; never
// null, never a fraction).
func (s *scanner) id(dst *span) error {
	dst.start = len(s.out)
	switch c := s.peek(); {
	case c == '"':
		_, err := s.str()
		dst.end = len(s.out)
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		if err := s.number(); err != nil {
			return err
		}
		dst.end = len(s.out)
		n, err := strconv.ParseInt(string(s.bytes(*dst)), 10, 64)
		if err != nil || n > maxSafeID || n < -maxSafeID {
			return invalidRequest("id must be a string or an integer of at most 53 bits")
		}
		return nil
	}
	if err := s.value(); err != nil {
		return err
	}
	return invalidRequest("id must be a string or an integer")
}

// check applies the rules of JSON-RPC 2.0 §4 and MCP to a message read.
func (sp *msgSpans) check(hasMethod bool, p *paramsSeen) error {
	if sp.jsonrpc != "2.0" {
		return invalidRequest(`"jsonrpc" must be "2.0"`)
	}
	if !hasMethod {
		if !sp.hasID || sp.hasResult == sp.hasError || p.present {
			return invalidRequest("a message must be a request, a notification, or a response with one of result and error")
		}
		return nil
	}
	if sp.hasResult || sp.hasError {
		return invalidRequest("a request has no result or error")
	}
	if sp.method == "" || hasControl(sp.method) {
		return invalidRequest("method must be a non-empty string without control characters")
	}
	if !gatedMethods[sp.method] {
		if want, ok := gatedKeys[lookalike.Key(sp.method)]; ok {
			return invalidRequest("method must be spelled %s", want)
		}
	}
	param, named := targetParam[sp.method]
	if named {
		v, has, bad := sp.name, p.hasName, p.badName
		switch param {
		case "uri":
			v, has, bad = sp.uri, p.hasURI, p.badURI
		case "taskId":
			v, has, bad = sp.taskID, p.hasTaskID, p.badTask
		}
		if !has || bad || v == "" || hasControl(v) {
			return invalidParams("%s needs params.%s, a non-empty string without control characters", sp.method, param)
		}
	}
	if hasArguments[sp.method] && sp.hasArgs && p.argsNotObject {
		return invalidParams("params.arguments must be an object")
	}
	return nil
}

func hasControl(v string) bool {
	return strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0
}

// uniqueIDs refuses a batch in which two requests share an id: their
// responses could not be told apart.
func uniqueIDs(ms []Message) error {
	seen := make(map[string]bool, len(ms))
	for i := range ms {
		if !ms[i].IsRequest() {
			continue
		}
		if seen[string(ms[i].ID)] {
			return invalidRequest("two requests in the batch have the same id")
		}
		seen[string(ms[i].ID)] = true
	}
	return nil
}

// unquote decodes canonical string content, whose only escapes are \",
// \\, \b, \f, \n, \r, \t and \u00XX.
func unquote(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		if k, ok := knownStrings[string(b)]; ok {
			return k // no copy of the version or a method name
		}
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' {
			sb.WriteByte(c)
			continue
		}
		i++
		switch b[i] {
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			v, _ := strconv.ParseUint(string(b[i+1:i+5]), 16, 8)
			sb.WriteByte(byte(v))
			i += 4
		default: // '"' or '\\'
			sb.WriteByte(b[i])
		}
	}
	return sb.String()
}
