// Package oidc is the "oidc" identity provider: it signs users in at an
// upstream OpenID Connect provider (Okta, Google, Keycloak, Dex, ...) and,
// through NewEntra, at Microsoft Entra ID.
//
// The flow is the authorization code flow of OIDC Core, section 3.1, with
// PKCE (RFC 7636, S256 only) and a nonce. Drawbridge owns state, nonce and
// the PKCE verifier; this package builds the authorization URL
// (AuthCodeURL), then redeems the code (Exchange): the ID token's signature,
// iss, aud and exp are checked by github.com/coreos/go-oidc (OIDC Core,
// section 3.1.3.7), the nonce here (step 11), and its claims are mapped to a
// storage.Identity. Claims come from the ID token only; the userinfo
// endpoint is not called.
//
// # Discovery
//
// The provider's endpoints and keys come from its discovery document (OIDC
// Discovery, section 4). New does not fetch it: an identity provider that is
// down for a moment must not keep the gateway from starting, and tokens
// Drawbridge already issued stay usable meanwhile. The document is fetched on
// first use and kept; after a failure the next call tries again (at most
// every few seconds, so a dead provider is not hammered by every login).
// Ready reports whether it has been fetched, for a readiness probe; once it
// has, Ready stays true even if the provider goes away later, because taking
// the gateway out of service would not bring the provider back.
//
// # Microsoft Entra ID
//
// NewEntra configures the v2 endpoints of one tenant, with these choices:
//
//   - Issuer {cloud}/{tenant}/v2.0, so the tenant must be given as its ID (a
//     GUID): a domain name or "common"/"organizations" gives a discovery
//     document whose issuer differs from the URL, which OIDC Discovery,
//     section 4.3 forbids, and multi-tenant sign-in would admit any tenant.
//   - Scopes "openid profile email offline_access" (v2 scopes).
//   - Subject from the oid claim: the user's object ID, the same for every
//     application in the tenant. Entra's sub is pairwise, different for each
//     application registration, so it would change if Drawbridge were ever
//     registered anew.
//   - Groups from the groups claim (object IDs unless the app registration
//     emits names) and app roles from the roles claim, merged into
//     Identity.Groups: policies match on one list, and role names and group
//     object IDs do not collide. A user in more groups than fit in a token
//     gets a "groups overage" indicator instead of the claim, which leaves
//     Groups without those groups; assign app roles instead for large
//     directories.
//   - Never a `resource` parameter: Entra v2 refuses it (AADSTS901002) and
//     takes the resource from the scopes. NewEntra refuses ExtraAuthParams
//     with "resource", and so does New for an issuer on a Microsoft login host.
//
// # Client authentication
//
// At the token endpoint Drawbridge authenticates with its client secret
// (client_secret_basic, or client_secret_post for providers that want it,
// as the oauth2 package detects) or, with Options.ClientCertificate, with a
// certificate (private_key_jwt). The token requests themselves, the client
// assertions and the certificates belong to package oauthclient, which
// backend credentials and the vault use too; this package prepares the
// assertion from the discovery document (its audience is the discovered
// token endpoint, and a provider whose document lists authentication
// methods without private_key_jwt, or algorithms the key cannot make, is
// reported when the document is read).
//
// Errors from this package never contain tokens, codes, verifiers, client
// secrets, private keys or client assertions.
package oidc
