package cimd

import "net/netip"

// PublicAddr reports whether a is a public unicast address: one that a
// client's metadata document may be fetched from (draft §6.5, which forbids
// the special-use addresses of RFC 6890).
//
// IPv4-mapped IPv6 addresses are judged by the IPv4 address they carry.
// Every other IPv6 address must be global unicast (2000::/3) and outside the
// special-purpose blocks inside it; that one rule also refuses the IPv6 forms
// that embed an IPv4 address and could reach a private network through a
// translator (NAT64 64:ff9b::/96 and 64:ff9b:1::/48, IPv4-compatible ::/96,
// 6to4 2002::/16, Teredo 2001::/32). Addresses with a zone are link-scoped.
//
// Some blocks below are globally reachable (AS112, AMT, 6to4 relays); they
// are refused anyway, since no client serves a document from one and the
// draft asks for special-use addresses to be refused, not only private ones.
func PublicAddr(a netip.Addr) bool {
	if !a.IsValid() || a.Zone() != "" {
		return false
	}
	a = a.Unmap()
	blocks := special4
	if a.Is6() {
		if !global6.Contains(a) {
			return false
		}
		blocks = special6
	}
	for _, p := range blocks {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var global6 = netip.MustParsePrefix("2000::/3")

// special4 is the IANA IPv4 Special-Purpose Address Registry (RFC 6890 and
// its updates), plus multicast and the reserved class E block.
var special4 = prefixes(
	"0.0.0.0/8",       // "this network" (RFC 791); 0.0.0.0 reaches the local host on Linux
	"10.0.0.0/8",      // private (RFC 1918)
	"100.64.0.0/10",   // shared address space, carrier-grade NAT (RFC 6598)
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link local, cloud metadata services (169.254.169.254)
	"172.16.0.0/12",   // private (RFC 1918)
	"192.0.0.0/24",    // IETF protocol assignments (RFC 6890), DS-Lite, NAT64 discovery
	"192.0.2.0/24",    // TEST-NET-1 (RFC 5737)
	"192.31.196.0/24", // AS112-v4 (RFC 7535)
	"192.52.193.0/24", // AMT (RFC 7450)
	"192.88.99.0/24",  // 6to4 relay anycast (RFC 7526)
	"192.168.0.0/16",  // private (RFC 1918)
	"192.175.48.0/24", // direct delegation AS112 (RFC 7534)
	"198.18.0.0/15",   // benchmarking (RFC 2544)
	"198.51.100.0/24", // TEST-NET-2 (RFC 5737)
	"203.0.113.0/24",  // TEST-NET-3 (RFC 5737)
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, and the limited broadcast address
)

// special6 is the IANA IPv6 Special-Purpose Address Registry restricted to
// 2000::/3; everything outside 2000::/3 (loopback, unspecified, ULA fc00::/7,
// link local fe80::/10, site local fec0::/10, multicast ff00::/8, discard
// 100::/64, NAT64, SRv6 5f00::/16) is refused before this list is read.
var special6 = prefixes(
	"2001::/23",         // IETF protocol assignments: Teredo, benchmarking, ORCHID, AS112, ...
	"2001:db8::/32",     // documentation (RFC 3849)
	"2002::/16",         // 6to4 (RFC 3056): embeds an IPv4 address
	"2620:4f:8000::/48", // direct delegation AS112 (RFC 7534)
	"3fff::/20",         // documentation (RFC 9637)
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}
