package replicas

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgServer is a PostgreSQL server of the test's own, which it may crash
// and start at will; the shared test server (scripts/start-postgres) is
// never touched. It is made with the binaries scripts/start-postgres uses
// (Debian's postgresql package) and, as that script does, runs as the
// postgres system user when the test runs as root: PostgreSQL refuses to
// run as root. The server is the test's child process, so it dies with
// the test however the test ends.
type pgServer struct {
	bin, dir, data, port string
	cred                 *syscall.Credential // run as this user; nil: as ourselves
	proc                 *process
}

// pgBinDir finds initdb and postgres as scripts/start-postgres does:
// DRAWBRIDGE_PG_BIN, PATH, then Debian's versioned directories.
func pgBinDir() (string, error) {
	if d := os.Getenv("DRAWBRIDGE_PG_BIN"); d != "" {
		return d, nil
	}
	if initdb, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("postgres"); err == nil {
			return filepath.Dir(initdb), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no initdb and postgres")
}

func pgMajor(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// startPGServer creates and starts a throwaway cluster on a free loopback
// port, and removes it when the test ends. It skips the test when the
// server binaries are missing.
func startPGServer(t *testing.T) *pgServer {
	t.Helper()
	bin, err := pgBinDir()
	if err != nil {
		t.Skip("the PostgreSQL server binaries (initdb, postgres) are not installed; scripts/start-postgres installs them (scripts/test-all runs it)")
	}
	s := &pgServer{bin: bin}
	if os.Geteuid() == 0 {
		for _, name := range []string{"postgres", "drawbridge-pg"} {
			if u, err := user.Lookup(name); err == nil {
				uid, _ := strconv.Atoi(u.Uid)
				gid, _ := strconv.Atoi(u.Gid)
				s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
				break
			}
		}
		if s.cred == nil {
			t.Skip("running as root with no postgres (or drawbridge-pg) system user to run PostgreSQL as; scripts/start-postgres makes one")
		}
	}
	// Not t.TempDir: its parent directories are closed to the server's
	// own user.
	if s.dir, err = os.MkdirTemp("", "drawbridge-pg-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(s.dir) })
	if s.cred != nil {
		if err := os.Chown(s.dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	s.data = filepath.Join(s.dir, "data")
	s.port = strings.Split(freeAddr(t), ":")[1]
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", s.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s.proc = &process{name: "postgres", log: filepath.Join(s.dir, "postgres.log"), cred: s.cred, env: os.Environ(),
		argv: []string{filepath.Join(bin, "postgres"), "-D", s.data, "-p", s.port,
			"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=100"}}
	s.start(t)
	t.Cleanup(func() { s.proc.signal(t, syscall.SIGQUIT) })
	return s
}

// DSN points at the cluster's postgres database.
func (s *pgServer) DSN() string {
	return "postgres://postgres@127.0.0.1:" + s.port + "/postgres?sslmode=disable&connect_timeout=5"
}

// start runs the server and waits until it accepts connections (after
// crash recovery, when it crashed).
func (s *pgServer) start(t *testing.T) {
	t.Helper()
	s.proc.start(t)
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, s.DSN())
		if err == nil {
			conn.Close(ctx)
			return
		}
		if !s.proc.running() || ctx.Err() != nil {
			t.Fatalf("PostgreSQL did not start: %v\n%s", err, s.proc.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// crash stops the server as a crash would: SIGQUIT is PostgreSQL's
// immediate shutdown, with no checkpoint (recovery runs at the next
// start), every client cut off.
func (s *pgServer) crash(t *testing.T) { s.proc.signal(t, syscall.SIGQUIT) }
