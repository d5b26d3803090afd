package gateway

import (
	"errors"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/jsonrpc"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/pinning"
	"github.com/drawbridge-mcp/drawbridge/internal/policy"
	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
)

// verdict is the gateway's decision on one message of a request body.
type verdict struct {
	reason string // why the message was refused; "" if it was not
	rule   string // the policy rule or rate limit that decided
	// need are the scopes a step-up asks for (reason insufficient_scope).
	need []string
	// wait is the rate limit's answer (reason rate_limited).
	wait ratelimit.Decision
	// pin is tool pinning's refusal (reason tool_not_approved).
	pin *pinning.Refusal
}

// Refusal reasons of single messages, as the audit trail names them.
const (
	reasonPolicy         = "policy"
	reasonStepUp         = "insufficient_scope"
	reasonRateLimited    = "rate_limited"
	reasonUnreadableArgs = "unreadable_arguments"
	reasonTaskNotYours   = "task_not_found"
	reasonUnavailable    = "store_unavailable"
	reasonToolNotPinned  = "tool_not_approved"
)

// taskMethods act on one task, named by params.taskId (the tasks
// extension, SEP-2663, and the tasks of 2025-11-25).
var taskMethods = map[string]bool{"tasks/get": true, "tasks/update": true, "tasks/cancel": true, "tasks/result": true}

// checkTask binds a task to the first subject that uses its id and
// refuses it to anyone else (see claimTask).
func (rt *route) checkTask(x *exchange, m *jsonrpc.Message) string {
	if !taskMethods[m.Method] || m.TaskID == "" || !m.IsRequest() {
		return ""
	}
	err := rt.gw.sessions.claimTask(x.r.Context(), rt.Name, m.TaskID, x.claims)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, errSessionNotYours):
		return reasonTaskNotYours
	}
	rt.gw.opt.Log.Error("checking task binding", "server", rt.Name, "err", err)
	return reasonUnavailable
}

// decide takes the gateway's decisions on every message of the body —
// policy (with step-up) first, then rate limits and quotas, each message on
// its own — and answers the request itself unless what is left may go to
// the backend.
func (rt *route) decide(x *exchange) bool {
	msgs := x.body.Messages
	if len(msgs) == 1 {
		x.verdicts = x.one[:] // x is new for each request
	} else {
		x.verdicts = make([]verdict, len(msgs))
	}
	var need []string
	for i := range msgs {
		x.verdicts[i] = rt.checkPolicy(x, &msgs[i])
		need = oauth.ScopeUnion(need, x.verdicts[i].need)
	}
	if len(need) > 0 {
		// Only a new authorization can fix this; no part of the request
		// goes ahead (for a batch, the client retries it whole).
		x.reason = reasonStepUp
		rt.stepUp(x.w, need)
		return false
	}
	for i := range msgs {
		if x.verdicts[i].reason == "" {
			// Before rate limits: a call that cannot go ahead uses no quota.
			if v := rt.checkPin(x, &msgs[i]); v.reason != "" {
				x.verdicts[i] = v
			}
		}
		if x.verdicts[i].reason == "" {
			x.verdicts[i] = rt.checkRate(x, msgs[i].Method, targetOf(&msgs[i]))
		}
		if x.verdicts[i].reason == "" {
			x.verdicts[i].reason = rt.checkTask(x, &msgs[i])
		}
	}
	if !x.body.Batch {
		if v := &x.verdicts[0]; v.reason != "" {
			rt.refuse(x.w, &msgs[0], v)
			return false
		}
		return true
	}
	return rt.decideBatch(x)
}

// targetOf is the name a rule or rate limit sees for a message.
func targetOf(m *jsonrpc.Message) string {
	name, _ := m.Target()
	return name
}

// policyTarget is what a policy rule decides on for a message: the call
// and its name. Subscribing to a resource's updates (legacy era) is
// reading it.
func policyTarget(m *jsonrpc.Message) (string, string, bool) {
	switch m.Method {
	case "tools/call", "prompts/get", "resources/read":
		return m.Method, targetOf(m), true
	case "resources/subscribe":
		return "resources/read", m.URI, m.URI != ""
	}
	return "", "", false
}

// checkPolicy applies the server's rules to one message.
func (rt *route) checkPolicy(x *exchange, m *jsonrpc.Message) verdict {
	method, name, ok := policyTarget(m)
	if rt.Policy == nil || !ok {
		return verdict{}
	}
	req := policy.Request{Method: method, Name: name}
	if rt.Policy.NeedsArguments() && m.Arguments != nil {
		// The arguments are valid JSON; what can still fail is a number
		// out of range. A condition cannot decide on what it cannot read.
		args, err := jsonrpc.DecodeArguments(m.Arguments)
		if err != nil {
			return verdict{reason: reasonUnreadableArgs}
		}
		req.Arguments = args
	}
	d := rt.Policy.Check(x.identity(), req)
	v := verdict{rule: d.Rule}
	switch {
	case d.Allowed:
	case len(d.MissingScopes) > 0:
		v.reason, v.need = reasonStepUp, oauth.ScopeUnion(rt.Scopes, d.NeedScopes)
	default:
		v.reason = reasonPolicy
	}
	return v
}

// stepUp answers 403 insufficient_scope naming every scope needed (RS3).
func (rt *route) stepUp(w http.ResponseWriter, need []string) {
	deny(w, decision{status: http.StatusForbidden, challenge: oauth.BearerChallenge{
		Error: oauth.ErrInsufficientScope, ErrorDescription: "this call needs more scopes",
		Scope: oauth.ScopeUnion(rt.Scopes, need), ResourceMetadata: rt.MetadataURL,
	}})
}

// refuse answers a single refused message.
func (rt *route) refuse(w http.ResponseWriter, m *jsonrpc.Message, v *verdict) {
	status := http.StatusOK
	switch v.reason {
	case reasonRateLimited:
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", itoa(ratelimit.RetryAfterSeconds(v.wait.RetryAfter)))
	case reasonUnreadableArgs:
		status = http.StatusBadRequest
	case reasonUnavailable:
		status = http.StatusServiceUnavailable
	}
	writeRPCError(w, status, m.ID, refusalError(m, v))
}

// refusalError is the JSON-RPC error for a refused message. A policy
// refusal reads as the MCP Go SDK's answer for something that does not
// exist, so it tells nothing about what exists.
func refusalError(m *jsonrpc.Message, v *verdict) *jsonrpc.Error {
	switch v.reason {
	case reasonRateLimited:
		return rateLimitedError(v)
	case reasonUnreadableArgs:
		return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "Invalid params: the arguments could not be read"}
	case reasonTaskNotYours:
		// What a server answers for a task id it does not know.
		return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "Task not found"}
	case reasonUnavailable:
		return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "the gateway cannot check the request right now; try again shortly"}
	case reasonToolNotPinned:
		// Unlike a policy refusal, this one says what is wrong: the
		// tool exists, and an administrator can make it usable again.
		return &jsonrpc.Error{Code: jsonrpc.CodeToolNotApproved, Message: v.pin.Message()}
	}
	switch m.Method {
	case "tools/call":
		return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "unknown tool " + quote(m.Name)}
	case "prompts/get":
		return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "unknown prompt " + quote(m.Name)}
	}
	return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "Resource not found", Data: resourceData{URI: m.URI}}
}

// resourceData names the resource of a "Resource not found" error, as MCP
// servers do (MCP "Resources", error handling).
type resourceData struct {
	URI string `json:"uri"`
}
