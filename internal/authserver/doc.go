// Package authserver is the OAuth 2.1 authorization server that MCP clients
// see: metadata (RFC 8414), dynamic registration (RFC 7591), the
// authorization endpoint with PKCE and resource indicators, sign-in
// (local users or an upstream OpenID Connect provider), consent, and the
// token endpoint for the authorization_code and refresh_token grants, and
// for client_credentials when the operator configured the client.
//
// One file per endpoint. The authorization flow is:
//
//	/authorize ─▶ /login (local)  or  upstream IdP ─▶ /callback
//	           ─▶ consent already given?  ─yes─▶ code to redirect_uri
//	                                      ─no──▶ /consent ─▶ code or access_denied
//
// Every step after /authorize is bound to the browser that started it by a
// cookie holding a random secret; storage keeps only its hash. The same
// secret derives the upstream PKCE verifier and the CSRF tokens of the
// forms, so nothing that proves possession is stored in the clear.
package authserver
