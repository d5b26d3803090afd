package storagetest

import (
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// RunTests runs the suite as subtests of t, one after another. Each subtest
// gets a new, empty store from newStore and closes it when done; newStore
// should leave any other clean-up (a temporary directory, a test database) to
// t.Cleanup.
func RunTests(t *testing.T, newStore func(t *testing.T) storage.Store) {
	t.Helper()
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.run(t, s)
		})
	}
}

var suite = []struct {
	name string
	run  func(*testing.T, storage.Store)
}{
	{"Ping", testPing},
	{"FixturesComplete", testFixturesComplete},
	{"Client/CRUD", testClientCRUD},
	{"Client/EmptySlices", testClientEmptySlices},
	{"Client/Update", testClientUpdate},
	{"Client/UpdateConcurrent", testClientUpdateConcurrent},
	{"Client/Paging", testClientPaging},
	{"Consent/Upsert", testConsentUpsert},
	{"Consent/ListDelete", testConsentListDelete},
	{"ClientBlocks", testClientBlocks},
	{"ToolPins", testToolPins},
	{"ToolPins/Race", testToolPinsRace},
	{"AuthRequest/CRUD", testAuthRequestCRUD},
	{"AuthRequest/Expiry", testAuthRequestExpiry},
	{"AuthRequest/Update", testAuthRequestUpdate},
	{"AuthRequest/UpdateConcurrent", testAuthRequestUpdateConcurrent},
	{"AuthCode/Redeem", testAuthCodeRedeem},
	{"AuthCode/RedeemRefused", testAuthCodeRedeemRefused},
	{"AuthCode/RedeemGrantFails", testAuthCodeRedeemGrantFails},
	{"AuthCode/EmptySlices", testAuthCodeEmptySlices},
	{"AuthCode/Race", testAuthCodeRace},
	{"AuthCode/Delete", testAuthCodeDelete},
	{"AuthCode/DeleteRace", testAuthCodeDeleteRace},
	{"EndedSignIns", testEndedSignIns},
	{"EndedSignIns/Race", testEndedSignInsRace},
	{"Grant/CRUD", testGrantCRUD},
	{"Grant/List", testGrantList},
	{"Grant/ListUpstream", testGrantListUpstream},
	{"Grant/Paging", testGrantPaging},
	{"Grant/Revoke", testGrantRevoke},
	{"Grant/RevokeOnce", testGrantRevokeOnce},
	{"Grant/RevokedSince", testGrantRevokedSince},
	{"Rotation/Current", testRotationCurrent},
	{"Rotation/HashTaken", testRotationHashTaken},
	{"Rotation/Reuse", testRotationReuse},
	{"Rotation/GraceRetry", testRotationGraceRetry},
	{"Rotation/GraceOnce", testRotationGraceOnce},
	{"Rotation/RetiredSuccessor", testRotationRetiredSuccessor},
	{"Rotation/GraceFromFirstRotation", testRotationGraceFromFirstRotation},
	{"Rotation/GraceSuccessorUsed", testRotationGraceSuccessorUsed},
	{"Rotation/Revoked", testRotationRevoked},
	{"Rotation/NotFound", testRotationNotFound},
	{"Rotation/Race", testRotationRace},
	{"Rotation/GraceRace", testRotationGraceRace},
	{"Rotation/Check", testRotationCheck},
	{"Rotation/Inspect", testRotationInspect},
	{"RefreshToken/Get", testGetRefreshToken},
	{"UseOnce", testUseOnce},
	{"UseOnce/Race", testUseOnceRace},
	{"SessionBindings", testSessionBindings},
	{"ConsoleSessions", testConsoleSessions},
	{"Grant/Touch", testTouchGrant},
	{"Audit", testAudit},
	{"Audit/ConcurrentAppends", testAuditConcurrentAppends},
	{"Audit/StoredAsAppended", testAuditStoredAsAppended},
	{"Audit/FailedBatch", testAuditFailedBatch},
	{"UpstreamSession", testUpstreamSession},
	{"UpstreamSession/Update", testUpstreamSessionUpdate},
	{"UpstreamSession/UpdateConcurrent", testUpstreamSessionUpdateConcurrent},
	{"UpstreamSession/List", testUpstreamSessionList},
	{"UpstreamSession/LivesWithGrant", testUpstreamSessionLivesWithGrant},
	{"UpstreamSession/GoesWithReusedGrant", testUpstreamSessionGoesWithReusedGrant},
	{"SigningKeys", testSigningKeys},
	{"DeleteExpired", testDeleteExpired},
	{"Concurrency/Writers", testConcurrentWriters},
}

func testPing(t *testing.T, s storage.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
