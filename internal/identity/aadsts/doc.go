// Package aadsts translates the error codes of Microsoft Entra ID
// ("AADSTS50011: The redirect URI ... does not match ...") into what an
// administrator has to change: in the app registration, in Drawbridge's
// configuration, or in the tenant's policies.
//
// Entra puts the code at the start of error_description, both in the error
// it sends back to the redirect URI (OIDC Core §3.1.2.6) and in token
// endpoint errors (RFC 6749 §5.2). Some errors (a redirect URI or an
// application Entra does not know) are shown on Entra's own page and never
// reach Drawbridge; they are in the table because administrators read them
// there. The meanings follow Microsoft's published list of error codes
// (https://learn.microsoft.com/entra/identity-platform/reference-error-codes);
// the fixes are for Drawbridge's way of signing in (one confidential web
// app, authorization code with PKCE, v2 endpoints, no resource parameter).
package aadsts
