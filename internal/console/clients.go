package console

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// clientInfo is a client as the pages describe it.
type clientInfo struct {
	ID   string
	Name string
	// SelfAsserted: the name comes from the client itself (dynamic
	// registration or its metadata document), not from an administrator.
	SelfAsserted bool
	// Kind and KindLong say how the client came to be known.
	Kind, KindLong string
	// Publisher is the host of a metadata document client's URL: the one
	// thing about it that is not self-asserted.
	Publisher     string
	RedirectHosts []string
	// Stored: in the store (not configuration), so it can be disabled or
	// deleted; Missing: deleted since.
	Stored, Missing, Disabled bool
}

var kinds = map[string][2]string{
	storage.ClientKindConfig:  {"pre-registered", "Pre-registered in the configuration"},
	storage.ClientKindCIMD:    {"CIMD", "Client ID metadata document"},
	storage.ClientKindDynamic: {"DCR", "Dynamic client registration"},
}

// client looks a client up wherever it lives. A client that is gone is
// described as such, not an error: its grants can still be shown.
func (c *Console) client(ctx context.Context, id string) (clientInfo, error) {
	if cl, ok := c.clients[id]; ok {
		return describe(cl, false), nil
	}
	cl, err := c.opt.Store.GetClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return clientInfo{ID: id, Name: "A deleted application", Missing: true, Kind: "deleted", KindLong: "No longer registered"}, nil
	}
	if err != nil {
		return clientInfo{}, err
	}
	return describe(cl, true), nil
}

func describe(cl storage.Client, stored bool) clientInfo {
	k := kinds[cl.Kind]
	ci := clientInfo{ID: cl.ID, Name: cl.Name, SelfAsserted: cl.Kind != storage.ClientKindConfig, Kind: k[0], KindLong: k[1],
		Stored: stored, Disabled: cl.Disabled, RedirectHosts: redirectHosts(cl.RedirectURIs)}
	if ci.Kind == "" {
		ci.Kind, ci.KindLong = cl.Kind, cl.Kind
	}
	if ci.Name == "" {
		ci.Name = "An unnamed application"
	}
	if cl.Kind == storage.ClientKindCIMD {
		if u, err := url.Parse(cl.ID); err == nil {
			ci.Publisher = u.Host
		}
	}
	if cl.ID == ClientID {
		ci.Name, ci.SelfAsserted = ClientName, false
	}
	return ci
}

// redirectHosts are where a client can send the browser back to: the
// hosts of its redirect URIs ("this computer" for loopback), or the scheme
// of a private-use URI.
func redirectHosts(uris []string) []string {
	var out []string
	for _, raw := range uris {
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		h := u.Hostname()
		switch {
		case u.Host == "":
			h = u.Scheme + ":"
		case h == "localhost" || isLoopback(h):
			h = h + " (this computer)"
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

func isLoopback(h string) bool {
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
