package clientaddr

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds client addresses.
type Resolver struct {
	trusted []netip.Prefix
}

// New parses the trusted proxies (CIDRs or single addresses).
func New(trusted []string) (*Resolver, error) {
	r := &Resolver{}
	for _, t := range trusted {
		p, err := ParsePrefix(t)
		if err != nil {
			return nil, err
		}
		r.trusted = append(r.trusted, p)
	}
	return r, nil
}

// ParsePrefix accepts a CIDR or a single address.
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR", s)
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

func (r *Resolver) isTrusted(a netip.Addr) bool {
	return Contains(r.trusted, a)
}

// Contains reports whether a falls in any of the prefixes.
func Contains(ps []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Addr returns the client's address: the peer, or, when the peer is a
// trusted proxy, the rightmost X-Forwarded-For entry that is not.
func (r *Resolver) Addr(req *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	addr := peer.Unmap()
	if !r.isTrusted(addr) {
		return addr
	}
	hops := strings.Split(strings.Join(req.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return addr // a garbled header: trust nothing before it
		}
		addr = h.Unmap()
		if !r.isTrusted(addr) {
			return addr
		}
	}
	return addr
}

type key struct{}

// recorded is what Middleware keeps of a request's address: the address
// and its text, written once (the access log, the Forwarded header and the
// audit record each want it).
// recorded is the context With returns: its parent and the address (one
// allocation, not a value and a context.WithValue around it).
type recorded struct {
	context.Context
	addr netip.Addr
	text string
}

func (rec *recorded) Value(k any) any {
	if k == (key{}) {
		return rec
	}
	return rec.Context.Value(k)
}

// Middleware records each request's client address for From.
func (r *Resolver) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		next.ServeHTTP(w, req.WithContext(r.With(req.Context(), req)))
	})
}

// With is ctx carrying req's client address, for From: what Middleware
// does, for a middleware that adds more to the context at once.
func (r *Resolver) With(ctx context.Context, req *http.Request) context.Context {
	rec := &recorded{Context: ctx, addr: r.Addr(req)}
	if rec.addr.IsValid() {
		rec.text = rec.addr.String()
	}
	return rec
}

// From returns the address Middleware recorded; the zero Addr if none.
func From(ctx context.Context) netip.Addr {
	if rec, _ := ctx.Value(key{}).(*recorded); rec != nil {
		return rec.addr
	}
	return netip.Addr{}
}

// String is From as text ("" when unknown), or the request's peer when no
// middleware ran.
func String(req *http.Request) string {
	if rec, _ := req.Context().Value(key{}).(*recorded); rec != nil && rec.addr.IsValid() {
		return rec.text
	}
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		return req.RemoteAddr
	}
	return host
}

// LimitKey is what per-address limits (rate limits, sign-in lockout) count
// a request under: LimitKeyOf its address, or, when that cannot be read, the
// text String returns.
func LimitKey(req *http.Request) string {
	if rec, _ := req.Context().Value(key{}).(*recorded); rec != nil && rec.addr.IsValid() {
		if rec.addr.Is4() {
			return rec.text // LimitKeyOf's answer, already written
		}
		return LimitKeyOf(rec.addr)
	}
	s := String(req)
	if a, err := netip.ParseAddr(s); err == nil {
		return LimitKeyOf(a)
	}
	return s
}

// LimitKeyOf is an IPv4 address as it is (an IPv4-mapped IPv6 address as
// the IPv4 address), and an IPv6 address as its /64 prefix: a single
// subscriber is routinely given a whole /64 (RFC 6177 §2, RFC 7934 §6) and
// can send from any of its 2^64 addresses, so counting per IPv6 address
// would give one client endless fresh budgets. The zero Addr gives "".
func LimitKeyOf(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}
