package cimd_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/drawbridge-mcp/drawbridge/internal/cimd"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// The authorization endpoint resolves a URL client_id like this. Errors go
// on an error page, never to the unverified redirect URI.
func ExampleFetcher_Fetch() {
	f, err := cimd.New(cimd.Options{DenyDomains: []string{"*.internal.example.com"}})
	if err != nil {
		panic(err)
	}
	clientID := "https://app.example.com/oauth/client-metadata.json"
	redirectURI := "http://127.0.0.1:33418/callback"

	doc, err := f.Fetch(context.Background(), clientID)
	var e *cimd.Error
	if errors.As(err, &e) {
		fmt.Println("error page:", e.OAuthError().Description) // log e itself: it has the cause
		return
	}
	if !oauth.MatchRedirectURI(doc.RedirectURIs, redirectURI) {
		fmt.Println("error page: redirect_uri is not registered")
		return
	}
	fmt.Printf("consent: %q (self-asserted) from %s; warn about loopback: %v\n",
		doc.ClientName, clientID, doc.OnlyLoopbackRedirects)
}
