package storagetest

import (
	"reflect"
	"slices"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// unsetInFixtures names the fields the fixtures leave zero on purpose: each
// is set by a store operation and checked by the test of that operation.
var unsetInFixtures = map[string]bool{
	"Client.Disabled":         true, // set in Client/CRUD
	"AuthCode.UsedAt":         true, // RedeemAuthCode
	"Grant.RevokedAt":         true, // RevokeGrant
	"Grant.RevokeReason":      true,
	"RefreshToken.GrantID":    true, // CreateGrant
	"RefreshToken.RotatedAt":  true, // not readable; rotation tests
	"RefreshToken.ReplacedBy": true,
}

// consentFields are the fields the consent tests, which write consents
// inline rather than from a fixture, know about.
var consentFields = []string{"Subject", "ClientID", "Approved", "CreatedAt", "UpdatedAt"}

// testFixturesComplete fails when a storage type gains a field the fixtures
// do not set, since a round trip cannot catch a backend dropping a field that
// is zero on the way in.
func testFixturesComplete(t *testing.T, _ storage.Store) {
	identity := newIdentity("user-1")
	for _, v := range []any{
		newClient("c"), identity, newAuthRequest("r"), newAuthCode("h", "g"), newGrant("g", "c", "u"),
		newRefreshToken("h"), newUpstreamSession("s"), newSigningKey("k"), newClientBlock(storage.BlockHost, "h"),
		newToolPin("s", "t", "h"),
	} {
		rv := reflect.ValueOf(v)
		for i := range rv.NumField() {
			name := rv.Type().Name() + "." + rv.Type().Field(i).Name
			if rv.Field(i).IsZero() && !unsetInFixtures[name] {
				t.Errorf("fixture leaves %s zero: set it, so that every backend must store it", name)
			}
		}
	}
	c := reflect.TypeFor[storage.Consent]()
	for i := range c.NumField() {
		if name := c.Field(i).Name; !slices.Contains(consentFields, name) {
			t.Errorf("Consent.%s is new: add it to the consent tests", name)
		}
	}
}
