// Package clientaddr decides which address a request comes from. Behind a
// load balancer the TCP peer is the balancer, and the client is named in
// X-Forwarded-For; that header is believed only when the peer is a
// configured trusted proxy, and then only up to the first untrusted hop,
// so a client cannot choose its own address by sending the header.
//
// Logs, audit and network filters use the full address; every per-address
// limit counts under LimitKey, which groups an IPv6 client's /64.
package clientaddr
