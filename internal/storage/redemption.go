package storage

import "time"

// Redemption asks the store to redeem the authorization code stored under
// Hash (OAuth 2.1 §4.1.3): to mark it used and, in the same transaction,
// create the grant it gives and the grant's first refresh token, so that
// no failure between the two can leave a used code without its grant.
//
//   - Hash unknown, or the code expired at Now: ErrNotFound; nothing
//     changes and Issue is not called.
//   - The code used before: the code as the first redemption left it
//     (UsedAt from then) with ErrAlreadyUsed, so that the caller can revoke
//     what that redemption issued; Issue is not called.
//   - Otherwise the code is marked used at Now, and Issue is called with
//     it (UsedAt set). Issue returns the grant, whose ID must be the code's
//     GrantID, and its first refresh token or nil; the store stores them
//     as CreateGrant does (the upstream session's expiry included) and
//     returns the code.
//   - Issue's error (the code presented by another client, with another
//     verifier) is returned unchanged, with the code, and the code stays
//     used with no grant: a code is presented once, whatever the answer.
//   - Storing the grant fails (a duplicate grant ID or token hash gives
//     ErrAlreadyExists): nothing changes, the code included.
//
// Of any number of redemptions of one code at once, on any number of
// replicas, exactly one calls Issue; every other one gets ErrAlreadyUsed.
// Issue runs inside the transaction: it must not call the Store, and a
// backend may call it more than once (retrying a transaction that lost a
// deadlock), the last call's result being the one stored.
type Redemption struct {
	Hash  string
	Now   time.Time
	Issue func(AuthCode) (Grant, *RefreshToken, error)
}
