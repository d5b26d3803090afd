package telemetry

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
)

// Metrics holds every series Drawbridge exports. A nil *Metrics records
// nothing, so callers need no checks.
type Metrics struct {
	reg *prometheus.Registry

	mcpRequests   *prometheus.CounterVec
	mcpDuration   *prometheus.HistogramVec
	authEvents    *prometheus.CounterVec
	tokensIssued  *prometheus.CounterVec
	rateLimited   *prometheus.CounterVec
	backendErrors *prometheus.CounterVec
	openStreams   *prometheus.GaugeVec
	storeDuration *prometheus.HistogramVec
	auditDropped  prometheus.CounterFunc
	toolPins      *prometheus.CounterVec
	memberErrors  *prometheus.CounterVec
	apiReloads    *prometheus.CounterVec

	tools *labelLimiter
}

// maxToolsPerServer bounds the tool label: names come from clients, so an
// unbounded label would let anyone grow the series without end.
const maxToolsPerServer = 200

// NewMetrics registers every series on a fresh registry, with the Go
// runtime and process collectors. dropped reports audit events lost.
func NewMetrics(dropped func() int64) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), tools: newLabelLimiter(maxToolsPerServer)}
	m.mcpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drawbridge_mcp_requests_total",
		Help: "MCP requests through the gateway, by server, JSON-RPC method, tool (or prompt or resource), status code and decision.",
	}, []string{"server", "method", "tool", "code", "decision"})
	m.mcpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "drawbridge_mcp_request_duration_seconds",
		Help:    "Time from receiving an MCP request to the end of its response (streams included), by server and method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	}, []string{"server", "method"})
	m.authEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drawbridge_authorization_events_total",
		Help: "Authorization server events (sign-ins, consent, revocations, replay detection), by type and reason.",
	}, []string{"type", "reason"})
	m.tokensIssued = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drawbridge_tokens_issued_total",
		Help: "Access tokens issued, by grant type (refresh_token for refreshes).",
	}, []string{"grant_type"})
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drawbridge_rate_limited_total",
		Help: "Requests refused by a rate limit or quota, by limit name.",
	}, []string{"limit"})
	m.backendErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drawbridge_backend_errors_total",
		Help: "Requests the backend could not answer, by server and kind (unavailable, timeout).",
	}, []string{"server", "kind"})
	m.openStreams = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "drawbridge_open_streams",
		Help: "Server-Sent Event streams open through the gateway, by server.",
	}, []string{"server"})
	m.storeDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "drawbridge_store_operation_duration_seconds",
		Help:    "Storage operations, by operation and outcome.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	}, []string{"operation", "outcome"})
	m.toolPins = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drawbridge_tool_pin_events_total",
		Help: "Tool definition pinning: definitions trusted on first use (pinned), changed or new ones recorded, administrators' approvals and rejections, and calls refused, by server and event.",
	}, []string{"server", "event"})
	m.memberErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drawbridge_compose_member_errors_total",
		Help: "Times a composed server's member stopped answering (refused, timed out, answered an error or nonsense), by server and member.",
	}, []string{"server", "member"})
	m.apiReloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drawbridge_openapi_reloads_total",
		Help: "Reloads of an OpenAPI document (SIGHUP, openapi.refresh), by server, member (empty for a plain server) and outcome: ok, or failed (the tools already served stay).",
	}, []string{"server", "member", "outcome"})
	if dropped == nil {
		dropped = func() int64 { return 0 }
	}
	m.auditDropped = prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "drawbridge_audit_events_dropped_total",
		Help: "Audit events lost because the audit queue stayed full.",
	}, func() float64 { return float64(dropped()) })
	m.reg.MustRegister(m.mcpRequests, m.mcpDuration, m.authEvents, m.tokensIssued, m.rateLimited,
		m.backendErrors, m.openStreams, m.storeDuration, m.auditDropped, m.toolPins, m.memberErrors, m.apiReloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry the metrics live in (tests, extra collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Record implements audit.Emitter: events become counters.
func (m *Metrics) Record(e audit.Event) {
	if m == nil {
		return
	}
	switch e.Type {
	case audit.MCPRequest:
		tool := m.tools.label(e.Server, e.Name)
		decision := e.Decision
		m.mcpRequests.WithLabelValues(e.Server, methodLabel(e.Method), tool, strconv.Itoa(e.Status), decision).Inc()
		m.mcpDuration.WithLabelValues(e.Server, methodLabel(e.Method)).Observe(e.DurationMS / 1000)
	case audit.TokenIssued:
		m.tokensIssued.WithLabelValues(e.GrantType).Inc()
	case audit.TokenRefreshed:
		m.tokensIssued.WithLabelValues("refresh_token").Inc()
	case audit.ToolPinned, audit.ToolChanged, audit.ToolNew, audit.ToolApproved, audit.ToolRejected, audit.ToolRefused:
		// The server label is a configured name: bounded.
		m.toolPins.WithLabelValues(e.Server, strings.TrimPrefix(e.Type, "tool.")).Inc()
		return
	case audit.ToolShadowed:
		// Audited and logged (the composed server's observer); not an
		// authorization event.
		return
	}
	if e.Type != audit.MCPRequest {
		m.authEvents.WithLabelValues(e.Type, e.Reason).Inc()
	}
}

// knownMethods are MCP methods; anything else is counted as "other", so a
// client cannot grow the method label either.
var knownMethods = map[string]bool{
	"initialize": true, "ping": true, "tools/list": true, "tools/call": true, "prompts/list": true, "prompts/get": true,
	"resources/list": true, "resources/read": true, "resources/templates/list": true, "resources/subscribe": true,
	"resources/unsubscribe": true, "completion/complete": true, "logging/setLevel": true, "server/discover": true,
	"subscriptions/listen": true, "notifications/initialized": true, "notifications/cancelled": true,
	"notifications/progress": true, "notifications/roots/list_changed": true, "batch": true,
	"http GET": true, "http DELETE": true, "http POST": true,
}

func methodLabel(m string) string {
	if knownMethods[m] {
		return m
	}
	return "other"
}

// BackendError counts a failed backend request; kind is unavailable or timeout.
func (m *Metrics) BackendError(server, kind string) {
	if m != nil {
		m.backendErrors.WithLabelValues(server, kind).Inc()
	}
}

// ComposeMemberError counts a composed server's member going down. Both
// labels are configured names: bounded.
func (m *Metrics) ComposeMemberError(server, member string) {
	if m != nil {
		m.memberErrors.WithLabelValues(server, member).Inc()
	}
}

// OpenAPIReload counts one reload of an OpenAPI document; outcome is ok
// or failed. The labels are configured names: bounded.
func (m *Metrics) OpenAPIReload(server, member, outcome string) {
	if m != nil {
		m.apiReloads.WithLabelValues(server, member, outcome).Inc()
	}
}

// StreamOpened and StreamClosed track open SSE streams.
func (m *Metrics) StreamOpened(server string) {
	if m != nil {
		m.openStreams.WithLabelValues(server).Inc()
	}
}

// StreamClosed is the pair of StreamOpened.
func (m *Metrics) StreamClosed(server string) {
	if m != nil {
		m.openStreams.WithLabelValues(server).Dec()
	}
}

// RateLimited counts a refusal by the named limit.
func (m *Metrics) RateLimited(limit string) {
	if m != nil {
		m.rateLimited.WithLabelValues(limit).Inc()
	}
}

// ObserveStore records one storage operation's duration.
func (m *Metrics) ObserveStore(op string, start time.Time, err error) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.storeDuration.WithLabelValues(op, outcome).Observe(time.Since(start).Seconds())
}

// labelLimiter admits up to max distinct values per key, then "other".
type labelLimiter struct {
	max  int
	mu   sync.Mutex
	seen map[string]map[string]bool
}

func newLabelLimiter(max int) *labelLimiter {
	return &labelLimiter{max: max, seen: map[string]map[string]bool{}}
}

func (l *labelLimiter) label(key, value string) string {
	if value == "" {
		return ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.seen[key]
	if s == nil {
		s = map[string]bool{}
		l.seen[key] = s
	}
	if s[value] {
		return value
	}
	if len(s) >= l.max || len(value) > 128 {
		return "other"
	}
	s[value] = true
	return value
}
