package cimd

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// hostLimits bound what we send to any one host on a client's say-so.
// Whoever presents a client_id chooses the URL we fetch (and the document
// chooses its jwks_uri), so without a bound a flood of distinct URLs on one
// victim host would make us a source of traffic against it (§6.5). Per host
// name: at most max requests in any window, and at most concurrent at once;
// per resolved address (an IPv6 address by its /64), at most max new
// connections in any window, so that many names pointing at one server
// (wildcard DNS) share one budget. A request over a bound fails at once,
// without touching the network, and is not remembered as a failure of the
// document.
type hostLimits struct {
	max, concurrent int
	window          time.Duration
	now             func() time.Time
	mu              sync.Mutex
	use             map[string]*hostUse
}

type hostUse struct {
	recent   []time.Time // request times within the window, oldest first
	inFlight int
}

// hostTableSize bounds the hosts tracked. Hosts are forgotten once idle (no
// request in the window, none in flight); while the table is full of active
// ones a new host is refused, rather than an active one forgotten, which
// would hand it a fresh budget.
const hostTableSize = 10_000

// errHostLimited is the cause of every refusal by a host limit.
var errHostLimited = errors.New("per-host request limit reached")

func hostLimited() *Error {
	return errorf(KindFetch, errHostLimited,
		"the client metadata document could not be fetched now: this server limits how often it contacts one host; try again in a minute")
}

// newHostLimits returns nil when neither bound is set (both ≤ 0).
func newHostLimits(max int, window time.Duration, concurrent int, now func() time.Time) *hostLimits {
	if max <= 0 && concurrent <= 0 {
		return nil
	}
	return &hostLimits{max: max, window: window, concurrent: concurrent, now: now, use: map[string]*hostUse{}}
}

// take counts one request (or connection) to key, and when hold is set
// also holds one of its concurrent places until release is called.
func (h *hostLimits) take(key string, hold bool) (release func(), err error) {
	if h == nil {
		return func() {}, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	u := h.use[key]
	if u == nil {
		if len(h.use) >= hostTableSize {
			h.forgetIdle(now)
		}
		if len(h.use) >= hostTableSize {
			return nil, hostLimited()
		}
		u = &hostUse{}
		h.use[key] = u
	}
	u.recent = dropBefore(u.recent, now.Add(-h.window))
	switch {
	case h.max > 0 && len(u.recent) >= h.max, hold && h.concurrent > 0 && u.inFlight >= h.concurrent:
		return nil, hostLimited()
	}
	if h.max > 0 {
		u.recent = append(u.recent, now)
	}
	if !hold {
		return func() {}, nil
	}
	u.inFlight++
	return sync.OnceFunc(func() {
		h.mu.Lock()
		u.inFlight--
		h.mu.Unlock()
	}), nil
}

func (h *hostLimits) forgetIdle(now time.Time) {
	for k, u := range h.use {
		if u.inFlight == 0 && len(dropBefore(u.recent, now.Add(-h.window))) == 0 {
			delete(h.use, k)
		}
	}
}

// dropBefore removes the times before cutoff (the window excludes its
// start: a request exactly one window ago no longer counts).
func dropBefore(times []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(times) && !times[i].After(cutoff) {
		i++
	}
	return times[i:]
}

// limitedTransport applies the per-host-name limits to every request the
// Fetcher's client makes: documents, and whatever callers fetch with Client.
type limitedTransport struct {
	limits *hostLimits
	next   http.RoundTripper
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	release, err := t.limits.take("host "+strings.ToLower(req.URL.Hostname()), true)
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// releasingBody gives the request's concurrent place back when the body is
// closed: until then the response is still being read from the host.
type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Close() error {
	defer b.release()
	return b.ReadCloser.Close()
}
