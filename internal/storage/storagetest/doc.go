// Package storagetest is the conformance suite for storage.Store: every
// backend's test file calls RunTests, so that all backends are held to one
// definition of the contract instead of each to its own copy of the tests:
//
//	func TestConformance(t *testing.T) {
//		storagetest.RunTests(t, func(t *testing.T) storage.Store {
//			return openEmptyStore(t) // closed by the suite
//		})
//	}
//
// The suite checks the rules written on storage.Store and its types, and the
// normalisations the Store documentation promises: times keep their instant
// to the nanosecond and come back in UTC, and empty slices come back as nil.
// Time is injected everywhere; nothing sleeps.
//
// What it asserts for a race between rotations of one refresh token, with no
// grace period: exactly one caller succeeds, exactly one gets ErrReused
// (revoking the grant), and every other one gets ErrNotFound, because the
// revocation deleted the token. Any store that serialises rotations of a token
// gives that outcome whatever the interleaving.
package storagetest
