// Package revoke ends grants: the one way Drawbridge revokes a grant,
// whoever asks. A revocation is three steps that must not drift apart:
//
//  1. the store marks the grant revoked and deletes its refresh tokens and
//     upstream tokens (storage.Store.RevokeGrant), which every replica
//     reads;
//  2. this replica's revocation list (tokens.RevocationList) refuses the
//     grant's access tokens at once, where other replicas wait for their
//     next sync of the store (a few seconds);
//  3. the audit trail gets one record, grant.revoked, with the grant's
//     user (sub), client and ID, the reason, and who revoked it (actor,
//     remote address and request ID, where a person or a request did).
//
// RevokeAll, which ends every grant of a user, a client or an upstream
// sign-in, first records that their sign-ins end now (EndSignIns), so that
// a sign-in made before, for an authorization still in progress, makes no
// grant after (the token endpoint checks SignInEnded once it has stored a
// code's grant), then deletes their unredeemed authorization codes, so
// that a code issued before the revocation cannot make a grant after it.
// The back-channel logout records the end of the upstream sign-ins it
// names the same way (UpstreamSessionKey, UpstreamUserKey).
//
// Its callers are the token endpoint (a replayed authorization code, a
// reused refresh token), the revocation endpoint (RFC 7009), back-channel
// logout, the vault (an upstream session that ended), the console's
// sign-out, and the admin actions behind the JSON API, the console's
// administration pages and the command line. The command line opens the
// store without a server and so has no revocation list: running servers
// pick its revocations up at their next sync.
//
// Reasons in use: revoked_by_client, code_replay, refresh_token_reuse
// (the store revokes in the rotation that detects reuse; see Finish),
// upstream_logout, upstream_revoked, upstream_expired, signed_out,
// revoked_by_admin, revoked_by_user, consent_revoked, client_disabled,
// client_deleted, client_blocked and sign_in_ended (a grant made from a
// sign-in that had been ended before).
package revoke
