// Package oidctest runs a real OpenID Connect provider in the test process, on
// an httptest server bound to loopback, for tests of Drawbridge's upstream
// login.
//
// The protocol work is done by github.com/zitadel/oidc/v3/pkg/op, a certified
// OpenID Provider library: discovery, the authorization code flow with PKCE,
// ID tokens signed RS256 and published as a JWKS, refresh tokens, userinfo.
// This package adds only what a library leaves to its user (in-memory storage
// of clients, users, codes and tokens, and a login page) and what tests need:
//
//   - a login that tests complete without a browser (Provider.Login), or
//     without any page at all (Provider.SetAutoLogin);
//   - an "Entra-like" mode (Options.Entra) with Microsoft Entra ID's tenant
//     issuer ({base}/{tenant}/v2.0) and endpoint layout, which refuses any
//     request carrying a `resource` parameter the way Entra v2 does
//     (AADSTS901002), so a test can prove Drawbridge never sends one;
//   - clients that authenticate with a certificate (private_key_jwt, as
//     Entra ID's certificate credentials work; AddCertificateClient), their
//     assertions checked the way Entra ID checks them: signature with the
//     registered certificate, its thumbprint in the header, aud = the token
//     endpoint URL, lifetime, jti replay. The op library checks assertions
//     against its issuer; this package makes it use the token endpoint.
//     NewClientCertificate makes a certificate and key files for tests;
//   - a session ID (sid) per login in ID tokens (Provider.Sessions), and
//     back-channel logout (OIDC Back-Channel Logout 1.0): logout tokens
//     signed with the provider's key (LogoutToken, or SignLogoutToken for
//     tests that need a broken one) and their delivery to a relying party
//     (BackChannelLogout, PostLogoutToken);
//   - an enterprise IdP's ID-JAGs (MCP enterprise-managed authorization,
//     SEP-990): RFC 8693 token exchange of an ID token it issued for an
//     Identity Assertion JWT Authorization Grant (idjag.go;
//     SetIDJAGClient names the client as the audience knows it);
//   - a record of every request with its parameters, secrets redacted
//     (Provider.Requests);
//   - switches that make the provider misbehave (SetDown, SignWithUnknownKey),
//     to test that the relying party notices.
//
// It is strict where Drawbridge must be: authorization requests without a
// PKCE S256 challenge are refused.
//
// A test runs a login like this:
//
//	idp := oidctest.Start(t, oidctest.Options{
//		Users:   []oidctest.User{{Username: "alice", Email: "alice@example.com"}},
//		Clients: []oidctest.Client{{ID: "drawbridge", Secret: "s", RedirectURIs: []string{cb}}},
//	})
//	// configure the relying party with idp.Issuer() and idp.Client()
//	authURL := ... // the relying party's authorization request
//	back, err := idp.Login(ctx, authURL, "alice")
//	// back is cb?code=...&state=... (or ?error=...), not yet opened
//
// Tests that drive a real browser or an SDK's OAuth client call
// idp.SetAutoLogin("alice") instead, and the login page signs alice in as
// soon as the browser arrives.
package oidctest
