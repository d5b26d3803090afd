package storagetest

import (
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

const blockedID = "https://agents.example/client.json"

func newClientBlock(kind, value string) storage.ClientBlock {
	return storage.ClientBlock{Kind: kind, Value: value, Reason: "reason for " + value, CreatedBy: "local:admin",
		CreatedAt: elsewhere(at(time.Minute))}
}

// stored is a block as a store gives it back.
func stored(b storage.ClientBlock) storage.ClientBlock {
	b.CreatedAt = b.CreatedAt.UTC()
	return b
}

func testClientBlocks(t *testing.T, s storage.Store) {
	ctx := t.Context()
	byID, byHost := newClientBlock(storage.BlockClientID, blockedID), newClientBlock(storage.BlockHost, "agents.example")
	_, err := s.FindClientBlock(ctx, blockedID, []string{"agents.example"})
	wantErr(t, "FindClientBlock with no blocks", err, storage.ErrNotFound)
	must(t, s.PutClientBlock(ctx, byHost))
	must(t, s.PutClientBlock(ctx, byID))
	again := byID
	again.Reason, again.CreatedBy = "second", "local:other"
	wantErr(t, "PutClientBlock twice", s.PutClientBlock(ctx, again), storage.ErrAlreadyExists)

	list, err := s.ListClientBlocks(ctx)
	must(t, err)
	check(t, "ListClientBlocks", list, []storage.ClientBlock{stored(byID), stored(byHost)})

	got, err := s.FindClientBlock(ctx, blockedID, []string{"agents.example"})
	must(t, err)
	check(t, "FindClientBlock (both blocked: the client's own block wins)", got, stored(byID))
	got, err = s.FindClientBlock(ctx, "https://agents.example/other.json", []string{"agents.example"})
	must(t, err)
	check(t, "FindClientBlock (host blocked)", got, stored(byHost))
	got, err = s.FindClientBlock(ctx, "https://app.agents.example/client.json", []string{"app.agents.example", "agents.example", "example"})
	must(t, err)
	check(t, "FindClientBlock (a domain above the host blocked)", got, stored(byHost))
	_, err = s.FindClientBlock(ctx, "https://other.example/client.json", nil)
	wantErr(t, "FindClientBlock with no hosts", err, storage.ErrNotFound)
	for _, c := range [][2]string{
		{"https://other.example/client.json", "other.example"},
		{"https://sub.agents.example/client.json", "sub.agents.example"}, // hosts match exactly
		{"agents.example", "x.example"},                                  // a kind matches only its own lookups
	} {
		_, err := s.FindClientBlock(ctx, c[0], []string{c[1]})
		wantErr(t, "FindClientBlock("+c[0]+", "+c[1]+")", err, storage.ErrNotFound)
	}

	must(t, s.DeleteClientBlock(ctx, storage.BlockClientID, blockedID))
	wantErr(t, "DeleteClientBlock twice", s.DeleteClientBlock(ctx, storage.BlockClientID, blockedID), storage.ErrNotFound)
	wantErr(t, "DeleteClientBlock of the other kind", s.DeleteClientBlock(ctx, storage.BlockClientID, "agents.example"), storage.ErrNotFound)
	got, err = s.FindClientBlock(ctx, blockedID, []string{"agents.example"})
	must(t, err)
	check(t, "FindClientBlock after unblocking the client (its host is still blocked)", got, stored(byHost))
	must(t, s.DeleteClientBlock(ctx, storage.BlockHost, "agents.example"))
	_, err = s.FindClientBlock(ctx, blockedID, []string{"agents.example"})
	wantErr(t, "FindClientBlock after unblocking both", err, storage.ErrNotFound)
	list, err = s.ListClientBlocks(ctx)
	must(t, err)
	if len(list) != 0 {
		t.Errorf("ListClientBlocks after unblocking both = %v, want none", list)
	}

	// An empty host (a client_id that is not a URL) matches no block.
	must(t, s.PutClientBlock(ctx, newClientBlock(storage.BlockHost, "")))
	_, err = s.FindClientBlock(ctx, "client-a", []string{""})
	wantErr(t, "FindClientBlock with an empty host", err, storage.ErrNotFound)
}
