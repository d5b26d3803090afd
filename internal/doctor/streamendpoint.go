package doctor

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// StreamPath is where a Drawbridge serves the doctor's test stream. It is
// under /.well-known/, which Drawbridge reserves, so no MCP server can
// take it; and it is on the public origin, so the stream crosses the same
// proxies as the MCP endpoints' own streams.
const StreamPath = "/.well-known/drawbridge/doctor-stream"

// Bounds of the delay between the stream's two events, in whole seconds
// (the query parameter "delay"), and how many streams run at once.
const (
	DefaultStreamDelay = 2 * time.Second
	MinStreamDelay     = 1 * time.Second
	MaxStreamDelay     = 5 * time.Second
	maxStreams         = 4
)

// StreamHandler serves the test stream: two Server-Sent Events, the first
// at once and the second after the delay, then the end. A proxy that
// buffers streams delivers both together, which is what the doctor looks
// for. Nothing in it is secret: the events carry a sequence number and
// the server's clock (which every Date header shows anyway). It costs a
// goroutine and a timer for at most MaxStreamDelay, and at most maxStreams
// run at once; more get 503.
type StreamHandler struct {
	// Now is the server's clock, reported in the events.
	Now  func() time.Time
	slot chan struct{}
}

// NewStreamHandler returns the handler with its concurrency limit.
func NewStreamHandler(now func() time.Time) *StreamHandler {
	return &StreamHandler{Now: now, slot: make(chan struct{}, maxStreams)}
}

// streamEvent is the data of each event.
type streamEvent struct {
	Seq  int       `json:"seq"`
	Time time.Time `json:"time"`
}

func (h *StreamHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	delay, err := parseDelay(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	select {
	case h.slot <- struct{}{}:
		defer func() { <-h.slot }()
	default:
		w.Header().Set("Retry-After", "5")
		http.Error(w, "busy: too many doctor streams at once", http.StatusServiceUnavailable)
		return
	}
	rc := http.NewResponseController(w)
	// The headers of every MCP stream the gateway forwards (TR1): proxies
	// see the same stream they would see for MCP.
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if h.event(w, rc, 1) != nil {
		return
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		return
	case <-t.C:
	}
	_ = h.event(w, rc, 2)
}

func (h *StreamHandler) event(w http.ResponseWriter, rc *http.ResponseController, seq int) error {
	data := fmt.Sprintf(`{"seq":%d,"time":%q}`, seq, h.Now().UTC().Format(time.RFC3339Nano))
	if _, err := fmt.Fprintf(w, "event: doctor\nid: %d\ndata: %s\n\n", seq, data); err != nil {
		return err
	}
	return rc.Flush()
}

// parseDelay reads the only parameter, delay, in whole seconds.
func parseDelay(q map[string][]string) (time.Duration, error) {
	for k := range q {
		if k != "delay" {
			return 0, fmt.Errorf("unknown parameter %q", k)
		}
	}
	v, ok := q["delay"]
	if !ok {
		return DefaultStreamDelay, nil
	}
	n, err := strconv.Atoi(v[0])
	d := time.Duration(n) * time.Second
	if len(v) != 1 || err != nil || d < MinStreamDelay || d > MaxStreamDelay {
		return 0, fmt.Errorf("delay must be whole seconds from %d to %d", int(MinStreamDelay.Seconds()), int(MaxStreamDelay.Seconds()))
	}
	return d, nil
}
