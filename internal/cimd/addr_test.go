package cimd

import (
	"net/netip"
	"testing"
)

func TestPublicAddr(t *testing.T) {
	tests := []struct {
		addr   string
		public bool
	}{
		// Public IPv4.
		{"93.184.215.14", true},
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"100.63.255.255", true}, // just below CGNAT
		{"100.128.0.0", true},    // just above CGNAT
		{"172.15.255.255", true}, // just below 172.16/12
		{"172.32.0.0", true},     // just above
		{"192.0.1.1", true},
		{"198.17.255.255", true},
		{"198.20.0.0", true},
		{"223.255.255.255", true},
		{"11.0.0.1", true},
		{"126.255.255.255", true},
		{"128.0.0.1", true},
		{"169.253.255.255", true},
		{"169.255.0.0", true},
		{"::ffff:8.8.8.8", true}, // IPv4-mapped public

		// Special-use IPv4.
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"10.0.0.1", false},
		{"10.255.255.255", false},
		{"100.64.0.1", false},
		{"100.127.255.255", false},
		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"169.254.169.254", false}, // cloud metadata
		{"169.254.0.1", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.0.0.1", false},
		{"192.0.0.170", false}, // NAT64 discovery
		{"192.0.2.1", false},
		{"192.31.196.1", false},
		{"192.52.193.1", false},
		{"192.88.99.1", false},
		{"192.168.0.1", false},
		{"192.168.255.255", false},
		{"192.175.48.1", false},
		{"198.18.0.1", false},
		{"198.19.255.255", false},
		{"198.51.100.1", false},
		{"203.0.113.1", false},
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},

		// IPv4-mapped and other IPv4-in-IPv6 forms of special-use addresses.
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"::ffff:0.0.0.0", false},
		{"::ffff:100.64.0.1", false},
		{"::127.0.0.1", false},         // IPv4-compatible (deprecated)
		{"::8.8.8.8", false},           // IPv4-compatible, even of a public address
		{"::ffff:0:7f00:1", false},     // IPv4-translated (RFC 2765)
		{"64:ff9b::7f00:1", false},     // NAT64 of 127.0.0.1
		{"64:ff9b::a9fe:a9fe", false},  // NAT64 of 169.254.169.254
		{"64:ff9b:1::a00:1", false},    // local-use NAT64
		{"2002:7f00:1::1", false},      // 6to4 of 127.0.0.1
		{"2002:0808:0808::1", false},   // 6to4, even of a public address
		{"2001:0:4136:e378::1", false}, // Teredo
		{"2001::1", false},             // Teredo
		{"2001:2::1", false},           // benchmarking
		{"2001:10::1", false},          // ORCHID
		{"2001:20::1", false},          // ORCHIDv2
		{"2001:db8::1", false},         // documentation
		{"2001:db8:ffff::1", false},    // documentation
		{"3fff::1", false},             // documentation (RFC 9637)
		{"3fff:fff:ffff::1", false},    // documentation (RFC 9637)
		{"2620:4f:8000::1", false},     // AS112
		{"::", false},                  // unspecified
		{"::1", false},                 // loopback
		{"fc00::1", false},             // unique local
		{"fd12:3456:789a::1", false},   // unique local
		{"fe80::1", false},             // link local
		{"febf::1", false},             // link local
		{"fec0::1", false},             // site local (deprecated)
		{"ff02::1", false},             // multicast
		{"ff05::1:3", false},           // multicast
		{"100::1", false},              // discard-only
		{"5f00::1", false},             // SRv6 SIDs
		{"4000::1", false},             // outside 2000::/3, unallocated
		{"1fff:ffff::1", false},        // just below 2000::/3

		// Public IPv6.
		{"2606:4700:4700::1111", true},
		{"2001:4860:4860::8888", true},
		{"2a00:1450:4001:800::200e", true},
		{"2001:200::1", true},     // just above 2001::/23
		{"2003::1", true},         // just above 2002::/16
		{"2620:4f:8001::1", true}, // just outside the AS112 /48
		{"3ffe::1", true},         // just below 3fff::/20
		{"3fff:1000::1", true},    // just above 3fff::/20
		{"2001:db9::1", true},
	}
	for _, tt := range tests {
		a := netip.MustParseAddr(tt.addr)
		if got := PublicAddr(a); got != tt.public {
			t.Errorf("PublicAddr(%s) = %v, want %v", tt.addr, got, tt.public)
		}
	}
	if PublicAddr(netip.Addr{}) {
		t.Error("the zero Addr is public")
	}
	if PublicAddr(netip.MustParseAddr("2606:4700:4700::1111%eth0")) {
		t.Error("an address with a zone is public")
	}
}
