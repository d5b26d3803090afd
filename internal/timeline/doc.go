// Package timeline rebuilds a client's recent authorization attempts from
// the audit trail, for the console and the admin API: each attempt as the
// steps a connection goes through (client metadata document fetched,
// registration, authorize, sign-in, consent, token, first MCP call), the
// step that failed, why in plain words and what to change.
//
// It reads only what package audit records, which never holds a token,
// code, secret or state; it is pure (events in, timeline out), so the
// grouping and every explanation are table-tested without a server.
//
// Grouping: the events of one authorization request share an attempt
// digest (authorize, sign-in, consent, code); the code names the grant, and
// the token and MCP events carry the grant, so they join the attempt that
// created it. What has neither (a refused authorization request, a
// registration, a token request that named no known code) is placed by
// time: a refusal starts an attempt of its own, a registration joins the
// attempt that follows it within Window, a token failure the attempt
// before it within Window.
//
// Clients are recognised (Recognise) from their registration (client_name,
// client_id URL host, software_id, redirect URIs) and User-Agent, and known
// quirks of each family explained; Entra ID's AADSTS codes in a sign-in
// failure are translated by package aadsts.
package timeline
