package cimd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"

	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
)

// maxDialAddrs bounds the addresses tried for one name.
const maxDialAddrs = 4

// dialContext is the only way the Fetcher's transport reaches the network.
// It resolves the host once, refuses the connection if any address is not
// public (§6.5), and then connects to a checked address, never to the name:
// a DNS answer that changes between the check and the connection (DNS
// rebinding) cannot move us to an internal address. A name with one private
// address among public ones is refused outright, since whoever controls its
// DNS chooses which one we would try.
func (f *Fetcher) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, err
	}
	addrs, err := f.resolve(ctx, host)
	if ctx.Err() != nil {
		return nil, ctx.Err() // out of time: say so, not "could not resolve"
	}
	if err != nil || len(addrs) == 0 {
		return nil, errorf(KindFetch, err, "could not resolve the client's host name")
	}
	for _, a := range addrs {
		if !f.addrAllowed(a) {
			return nil, errorf(KindForbidden, fmt.Errorf("%s resolves to %s", host, a),
				"the client's host name resolves to an address that is not public")
		}
	}
	if len(addrs) > maxDialAddrs {
		addrs = addrs[:maxDialAddrs]
	}
	var errs []error
	for _, a := range addrs {
		if _, err := f.limits.take("addr "+clientaddr.LimitKeyOf(a), false); err != nil {
			return nil, err
		}
		target := netip.AddrPortFrom(a.Unmap(), uint16(port)).String()
		conn, err := f.dialAddr(ctx, network, target)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

func (f *Fetcher) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	return f.opt.Resolver.LookupNetIP(ctx, "ip", host)
}

func (f *Fetcher) addrAllowed(a netip.Addr) bool {
	return f.opt.AllowPrivateNetworks || PublicAddr(a)
}

func (f *Fetcher) dialAddr(ctx context.Context, network, address string) (net.Conn, error) {
	if f.opt.dial != nil {
		return f.opt.dial(ctx, network, address)
	}
	d := net.Dialer{Control: f.checkSocket}
	return d.DialContext(ctx, network, address)
}

// checkSocket runs just before connect(2) with the literal address the
// socket is about to reach: a last check that nothing between dialContext
// and the kernel substituted another address.
func (f *Fetcher) checkSocket(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !f.addrAllowed(ap.Addr()) {
		return errorf(KindForbidden, fmt.Errorf("refused to connect to %s", address),
			"the client's host name resolves to an address that is not public")
	}
	return nil
}
