// Package assertion verifies the identity assertions Drawbridge sends to
// MCP backends configured with auth mode identity_assertion.
//
// Instead of trusting plain identity headers, a backend receives, on every
// request, a short-lived JWT signed by Drawbridge: aud is that backend, and
// the claims say who the user is (sub, email, name, groups) and which agent
// acts for them (client_id, scope). The backend checks it against
// Drawbridge's published keys (JWKS), so it needs no shared secret and
// cannot be fooled by a forged header:
//
//	v, _ := assertion.NewVerifier(assertion.Config{
//		Issuer:   "https://mcp.example.com",
//		Audience: "https://snippets.internal",
//	})
//	http.Handle("/mcp", v.Middleware(mcpHandler))
//	// in a handler: id := assertion.FromContext(r.Context())
//
// This is the one package of Drawbridge meant to be imported by other
// programs.
package assertion
