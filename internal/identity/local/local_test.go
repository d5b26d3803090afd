package local

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/drawbridge-mcp/drawbridge/internal/identity"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func testUsers(t *testing.T) []User {
	return []User{
		{Username: "alice", PasswordHash: mustArgon2id(t, "alice-pw"), Email: "alice@example.com", Name: "Alice", Groups: []string{"admins", "staff"}},
		{Username: "bob", PasswordHash: mustBcrypt(t, "bob-pw"), Subject: "employee-42"},
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	p, err := New("local", testUsers(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, username, password string
		want                     storage.Identity
		wantErr                  error
	}{
		{name: "argon2id user", username: "alice", password: "alice-pw", want: storage.Identity{
			Subject: "local:alice", Email: "alice@example.com", Name: "Alice", Groups: []string{"admins", "staff"}, Provider: "local"}},
		{name: "bcrypt user with explicit subject", username: "bob", password: "bob-pw", want: storage.Identity{
			Subject: "employee-42", Provider: "local"}},
		{name: "wrong password", username: "alice", password: "bob-pw", wantErr: identity.ErrBadCredentials},
		{name: "empty password", username: "alice", password: "", wantErr: identity.ErrBadCredentials},
		{name: "unknown user", username: "mallory", password: "alice-pw", wantErr: identity.ErrBadCredentials},
		{name: "username case matters", username: "Alice", password: "alice-pw", wantErr: identity.ErrBadCredentials},
		{name: "empty username", username: "", password: "", wantErr: identity.ErrBadCredentials},
		{name: "overlong password", username: "alice", password: strings.Repeat("a", maxPasswordLen+1), wantErr: identity.ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Authenticate(context.Background(), tt.username, tt.password)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Authenticate error = %v, want %v", err, tt.wantErr)
			}
			if err != nil && tt.password != "" && strings.Contains(err.Error(), tt.password) {
				t.Error("error contains the password")
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Authenticate = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAuthenticateReturnsCopies(t *testing.T) {
	t.Parallel()
	p, err := New("local", testUsers(t))
	if err != nil {
		t.Fatal(err)
	}
	id, err := p.Authenticate(context.Background(), "alice", "alice-pw")
	if err != nil {
		t.Fatal(err)
	}
	id.Groups[0] = "changed"
	again, _ := p.Authenticate(context.Background(), "alice", "alice-pw")
	if again.Groups[0] != "admins" {
		t.Error("a caller's change to Groups leaked into the provider")
	}
}

// countingHash records verify calls, to show that unknown users get the same
// hashing work as known ones without timing anything.
type countingHash struct {
	passwordHash
	calls *int
}

func (c countingHash) verify(pw []byte) bool {
	*c.calls++
	return c.passwordHash.verify(pw)
}

func TestUnknownUserChecksDummyHash(t *testing.T) {
	t.Parallel()
	p, err := New("local", testUsers(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.dummy.(argon2idHash); !ok {
		t.Errorf("dummy is %T, want the first user's hash kind (argon2id)", p.dummy)
	}
	var calls int
	p.dummy = countingHash{p.dummy, &calls}
	if _, err := p.Authenticate(context.Background(), "mallory", "x"); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("err = %v", err)
	}
	if calls != 1 {
		t.Errorf("dummy hash checked %d times for an unknown user, want 1", calls)
	}
	if _, err := p.Authenticate(context.Background(), "alice", "x"); !errors.Is(err, identity.ErrBadCredentials) {
		t.Fatalf("err = %v", err)
	}
	if calls != 1 {
		t.Error("dummy hash checked for a known user")
	}
}

func TestAuthenticateCancelled(t *testing.T) {
	t.Parallel()
	p, err := New("local", testUsers(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Authenticate(ctx, "alice", "alice-pw"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	t.Parallel()
	good := mustArgon2id(t, "pw")
	_, err := New("local", []User{
		{Username: "ok", PasswordHash: good},
		{Username: "", PasswordHash: good},
		{Username: "plain", PasswordHash: "hunter2"},
		{Username: "ok", PasswordHash: good},
		{Username: "trunc", PasswordHash: good[:len(good)-30]},
		{Username: "clash", PasswordHash: good, Subject: "local:ok"},
	})
	if err == nil {
		t.Fatal("New succeeded")
	}
	msg := err.Error()
	for _, want := range []string{
		`user 1 (""): username is empty`,
		`user 2 ("plain"): password_hash: not a bcrypt`,
		`user 3 ("ok"): username is listed more than once`,
		`user 4 ("trunc"): password_hash: argon2id hash`,
		`user 5 ("clash"): subject "local:ok" is also used by "ok"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not mention %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "hunter2") || strings.Contains(msg, good[20:40]) {
		t.Errorf("error echoes a hash or password:\n%s", msg)
	}
}

func TestNewRejectsEmptyConfig(t *testing.T) {
	t.Parallel()
	if _, err := New("local", nil); err == nil {
		t.Error("New with no users succeeded")
	}
	if _, err := New("", []User{{Username: "a", PasswordHash: mustArgon2id(t, "pw")}}); err == nil {
		t.Error("New with no name succeeded")
	}
}

func ExampleHashPassword() {
	hash, err := HashPassword("correct horse battery staple")
	if err != nil {
		panic(err)
	}
	p, err := New("local", []User{{Username: "alice", PasswordHash: hash}})
	if err != nil {
		panic(err)
	}
	id, err := p.Authenticate(context.Background(), "alice", "correct horse battery staple")
	fmt.Println(id.Subject, err)
	// Output: local:alice <nil>
}

// gateHash is a password hash whose verify counts the hashes under way and
// waits for release.
type gateHash struct {
	inFlight, most, calls atomic.Int32
	release               chan struct{}
	lanes                 int
}

func (g *gateHash) verify([]byte) bool {
	g.calls.Add(1)
	n := g.inFlight.Add(1)
	for {
		m := g.most.Load()
		if n <= m || g.most.CompareAndSwap(m, n) {
			break
		}
	}
	<-g.release
	g.inFlight.Add(-1)
	return true
}

func (g *gateHash) dummy() (passwordHash, error) { return g, nil }
func (g *gateHash) cores() int                   { return g.lanes }

func newGate(lanes int) *gateHash { return &gateHash{release: make(chan struct{}), lanes: lanes} }

// gated is the provider of testUsers with slots hashing slots, and the
// hashes of the users named in gates (the dummy's under "") replaced.
func gated(t *testing.T, slots int64, gates map[string]*gateHash) *Provider {
	t.Helper()
	p, err := New("local", testUsers(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, g := range gates {
		if name == "" {
			p.dummy = g
			continue
		}
		u := p.users[name]
		u.hash = g
		p.users[name] = u
	}
	p.slots = slots
	p.hashing = semaphore.NewWeighted(slots)
	return p
}

// At most hashSlots passwords are hashed at once, known users and unknown
// ones (the dummy hash) alike; the others wait for a slot, and one whose
// caller leaves while it waits gives up without hashing.
func TestHashesTakeTurns(t *testing.T) {
	if hashSlots() < 1 {
		t.Fatalf("hashSlots() = %d", hashSlots())
	}
	g := newGate(1)
	p := gated(t, 2, map[string]*gateHash{"alice": g, "": g})
	var wg sync.WaitGroup
	for i := range 6 {
		name := []string{"alice", "mallory"}[i%2]
		wg.Go(func() { _, _ = p.Authenticate(context.Background(), name, "pw") })
	}
	for g.inFlight.Load() < 2 {
		runtime.Gosched()
	}
	// Without the slots, the four others would be hashing by now.
	time.Sleep(50 * time.Millisecond)
	if n := g.inFlight.Load(); n != 2 {
		t.Errorf("%d hashes at once, want 2", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	left := make(chan error, 1)
	go func() { _, err := p.Authenticate(ctx, "alice", "pw"); left <- err }()
	cancel()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Errorf("a caller that left while waiting: %v", err)
	}
	close(g.release)
	wg.Wait()
	if g.most.Load() != 2 || g.calls.Load() != 6 {
		t.Errorf("at most %d at once over %d hashes; want 2 over 6 (the caller that left hashes nothing)", g.most.Load(), g.calls.Load())
	}
}

// A hash that keeps several cores busy takes that many slots (all of them
// if it has more), so it hashes alone when it needs them all.
func TestParallelHashTakesItsCores(t *testing.T) {
	wide, narrow := newGate(4), newGate(1)
	p := gated(t, 3, map[string]*gateHash{"alice": wide, "bob": narrow})
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = p.Authenticate(context.Background(), "alice", "pw") })
	for wide.inFlight.Load() < 1 {
		runtime.Gosched()
	}
	wg.Go(func() { _, _ = p.Authenticate(context.Background(), "bob", "pw") })
	time.Sleep(50 * time.Millisecond)
	if narrow.calls.Load() != 0 {
		t.Error("a one-core hash ran beside a hash holding every slot")
	}
	close(wide.release)
	close(narrow.release)
	wg.Wait()
	if narrow.calls.Load() != 1 {
		t.Errorf("the one-core hash ran %d times after the wide one, want 1", narrow.calls.Load())
	}
	// The configuration's hashes report their lanes.
	if h, err := parseHash(mustBcrypt(t, "x")); err != nil || h.cores() != 1 {
		t.Errorf("bcrypt cores = %v, %v", h, err)
	}
	if h, err := parseHash("$argon2id$v=19$m=19456,t=2,p=3$c2FsdHNhbHQ$" + strings.Repeat("A", 43)); err != nil || h.cores() != 3 {
		t.Errorf("argon2id p=3 cores: %v", err)
	}
}

// A sign-in that gets no slot within the provider's wait is told
// identity.ErrBusy, having hashed nothing; the credentials are not judged.
func TestBusyWhenNoSlotComes(t *testing.T) {
	g := newGate(1)
	p := gated(t, 1, map[string]*gateHash{"alice": g, "": g})
	p.wait = time.Millisecond
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = p.Authenticate(context.Background(), "alice", "pw") })
	for g.inFlight.Load() < 1 {
		runtime.Gosched()
	}
	for _, name := range []string{"alice", "mallory"} {
		if _, err := p.Authenticate(context.Background(), name, "pw"); !errors.Is(err, identity.ErrBusy) {
			t.Errorf("%s with every slot taken: %v, want ErrBusy", name, err)
		}
	}
	close(g.release)
	wg.Wait()
	if g.calls.Load() != 1 {
		t.Errorf("%d hashes, want only the first sign-in's", g.calls.Load())
	}
}
