package doctor

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// expiresSoon is how close to its end a certificate draws a warning:
// automatic renewal normally happens a month ahead.
const expiresSoon = 14 * 24 * time.Hour

// checkTLS looks at the certificate the server presents: the host name,
// the dates, and the chain, each on its own, so that an expired but
// otherwise good certificate is reported as exactly that. It reports
// whether a problem was found; the other checks then go on without
// verifying the certificate (they send nothing secret).
func (r *run) checkTLS(ctx context.Context, u *url.URL) (insecure bool) {
	res := r.result("tls")
	if res == nil {
		return false
	}
	if u.Scheme != "https" {
		res.skip("not https")
		return false
	}
	probe := newClient(nil, r.opt.Timeout, r.opt.Now, true)
	defer probe.close()
	resp, err := probe.do(ctx, http.MethodHead, r.reached+"/", nil, nil)
	if err != nil {
		res.problem("cannot connect to "+u.Host+": "+err.Error(),
			"Check that the deployment is running and reachable from here: DNS, firewall, the load balancer's listener.")
		r.down = "the deployment cannot be reached"
		return false
	}
	if resp.tls == nil || len(resp.tls.PeerCertificates) == 0 {
		res.problem("no certificate was presented", "Configure a certificate on the TLS listener.")
		return true
	}
	before := len(res.findings)
	r.verifyCertificate(res, u.Hostname(), resp.tls.PeerCertificates)
	for _, f := range res.findings[before:] {
		if f.status == Problem {
			return true
		}
	}
	return false
}

func (r *run) verifyCertificate(res *result, host string, chain []*x509.Certificate) {
	leaf, now := chain[0], r.opt.Now()
	if err := leaf.VerifyHostname(host); err != nil {
		res.problem(fmt.Sprintf("the certificate is for %s, not %s", names(leaf), host),
			"Use a certificate that names "+host+": every client checks the name.")
	}
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") }
	switch {
	case now.After(leaf.NotAfter):
		res.problem(fmt.Sprintf("the certificate expired on %s", day(leaf.NotAfter)),
			"Renew it (and check why automatic renewal did not): every client refuses an expired certificate.")
	case now.Before(leaf.NotBefore):
		res.problem(fmt.Sprintf("the certificate is valid only from %s", day(leaf.NotBefore)),
			"Check this machine's clock and the issuing machine's; every client refuses a certificate before its start.")
	case leaf.NotAfter.Sub(now) < expiresSoon:
		res.warn(fmt.Sprintf("the certificate expires on %s", day(leaf.NotAfter)),
			"Renew it now; automatic renewal may be failing.")
	}
	// The chain is judged at a moment inside the leaf's validity, so that
	// the dates, reported above, are not reported twice.
	at := now
	if at.After(leaf.NotAfter) {
		at = leaf.NotAfter
	} else if at.Before(leaf.NotBefore) {
		at = leaf.NotBefore
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: r.opt.RootCAs, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	var unknown x509.UnknownAuthorityError
	switch {
	case errors.As(err, &unknown):
		res.problem(fmt.Sprintf("the certificate (issued by %s) does not chain to an authority this machine trusts", quote(leaf.Issuer.String())),
			"Serve the full chain, leaf then intermediates, from a public authority: Claude and ChatGPT connect from the internet and trust "+
				"only public authorities. For a private authority every client must trust it; give it to the doctor with --ca-file.")
	case err != nil:
		res.problem("the certificate chain does not verify: "+err.Error(), "Serve a valid chain, leaf then intermediates.")
	}
	if len(res.findings) == 0 {
		res.ok("certificate for %s, valid until %s, issued by %s", host, day(leaf.NotAfter), quote(leaf.Issuer.CommonName))
	}
}

// names lists the host names a certificate is for.
func names(c *x509.Certificate) string {
	n := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		n = append(n, ip.String())
	}
	if len(n) == 0 {
		return "no host name"
	}
	return quote(clip(strings.Join(n, ", "), 200))
}
