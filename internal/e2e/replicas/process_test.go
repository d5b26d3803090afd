package replicas

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// guard bounds every wait in these tests. Waits end long before it when
// things work; it only turns a hang into a failure with logs.
const guard = 90 * time.Second

var built struct {
	once sync.Once
	path string
	err  error
	dir  string
}

// TestMain removes the binary built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// drawbridgeBinary builds cmd/drawbridge from this checkout once per run.
func drawbridgeBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		gobin, err := exec.LookPath("go")
		if err != nil {
			built.err = fmt.Errorf("no go command on PATH to build drawbridge: %w", err)
			return
		}
		if built.dir, err = os.MkdirTemp("", "drawbridge-replicas-"); err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(built.dir, "drawbridge")
		cmd := exec.Command(gobin, "build", "-o", built.path, "github.com/drawbridge-mcp/drawbridge/cmd/drawbridge")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build ./cmd/drawbridge: %w\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// freeAddr returns a loopback address nothing listens on (yet), for a
// child process to listen on. It is taken below the kernel's ephemeral
// port range: a port from that range (what listening on port 0 gives) can
// be taken, between this check and the child's bind, by any outgoing
// connection on the machine, and CI saw haproxy fail to bind that way.
// Without a readable range it falls back on port 0.
func freeAddr(t *testing.T) string {
	t.Helper()
	if lo := ephemeralLow(); lo > 11000 {
		for range 50 {
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(10000+rand.IntN(lo-11000)))
			if ln, err := net.Listen("tcp", addr); err == nil {
				if err := ln.Close(); err != nil {
					t.Fatal(err)
				}
				return addr
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// ephemeralLow is the first port of the kernel's ephemeral range; 0 when
// it cannot be read (not Linux).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0
	}
	lo, err := strconv.Atoi(f[0])
	if err != nil {
		return 0
	}
	return lo
}

// process is a child process whose output goes to a file, shown when the
// test fails.
type process struct {
	name string
	argv []string
	env  []string
	log  string
	// cred runs the process as another user; nil: as ourselves.
	cred *syscall.Credential

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

func (p *process) start(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "---- %s: start\n", p.name)
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = p.env, f, f
	// Its own process group, so that a signal reaches it and its children
	// (nginx's workers) and nothing else; and, where the system can, it
	// dies with the test (a test binary killed by a timeout runs no
	// cleanup).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: p.cred}
	dieWithParent(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("starting %s: %v", p.name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); f.Close(); close(exited) }()
	p.mu.Lock()
	p.cmd, p.exited = cmd, exited
	p.mu.Unlock()
}

// running reports whether the process has been started and not exited.
func (p *process) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// signal sends sig to the process's group and waits for the process to
// exit; with SIGKILL the rest of the group goes too.
func (p *process) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	select {
	case <-exited:
	case <-time.After(guard):
		_ = cmd.Process.Kill()
		t.Fatalf("%s did not exit after %v", p.name, sig)
	}
}

// output is what the process wrote so far.
func (p *process) output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// waitHTTP polls url until it answers 200, failing with the process's
// output if it exits or the guard passes.
func (p *process) waitHTTP(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if !p.running() {
			t.Fatalf("%s exited before %s answered:\n%s", p.name, url, p.output())
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %s did not answer 200: %v\n%s", p.name, url, err, p.output())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// checkNoPanic fails the test if the output shows a Go panic or a fatal
// runtime error.
func (p *process) checkNoPanic(t *testing.T) {
	t.Helper()
	out := p.output()
	for _, bad := range []string{"panic:", "fatal error:", "goroutine 1 ["} {
		if strings.Contains(out, bad) {
			t.Errorf("%s: %q in its output:\n%s", p.name, bad, out)
			return
		}
	}
}

// lookBinary finds a program: the environment variable's value, PATH, then
// the system directories a non-root PATH may lack.
func lookBinary(envVar, name string) (string, error) {
	if v := os.Getenv(envVar); v != "" {
		if !isExec(v) {
			return "", errors.New(envVar + "=" + v + " is not an executable")
		}
		return v, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", errors.New(name + " not found")
}
