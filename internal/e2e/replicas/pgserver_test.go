package replicas

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// pgServer is a PostgreSQL server of the test's own, which it may stop
// and start at will; the shared test server (scripts/start-postgres) is
// never touched. It is made with the binaries scripts/start-postgres uses
// (Debian's postgresql package) and, as that script does, runs as the
// postgres system user when the test runs as root: PostgreSQL refuses to
// run as root.
type pgServer struct {
	bin, dir, data, port string
	owner                string // run as this user; empty: as ourselves
}

// pgBinDir finds initdb and pg_ctl as scripts/start-postgres does:
// DRAWBRIDGE_PG_BIN, PATH, then Debian's versioned directories.
func pgBinDir() (string, error) {
	if d := os.Getenv("DRAWBRIDGE_PG_BIN"); d != "" {
		return d, nil
	}
	if initdb, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(initdb), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no initdb and pg_ctl")
}

func pgMajor(dir string) int {
	var n int
	fmt.Sscanf(filepath.Base(filepath.Dir(dir)), "%d", &n)
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
		t.Skip("the PostgreSQL server binaries (initdb, pg_ctl) are not installed; scripts/start-postgres installs them (scripts/test-all runs it)")
	}
	s := &pgServer{bin: bin}
	if os.Geteuid() == 0 {
		for _, name := range []string{"postgres", "drawbridge-pg"} {
			if _, err := user.Lookup(name); err == nil {
				s.owner = name
				break
			}
		}
		if s.owner == "" {
			t.Skip("running as root with no postgres (or drawbridge-pg) system user to run PostgreSQL as; scripts/start-postgres makes one")
		}
	}
	// Not t.TempDir: its parent directories are closed to the server's
	// own user.
	if s.dir, err = os.MkdirTemp("", "drawbridge-pg-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(s.dir) })
	if err := os.Chmod(s.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s.data = filepath.Join(s.dir, "data")
	s.port = strings.Split(freeAddr(t), ":")[1]
	if s.owner != "" {
		s.run(t, "chown", s.owner, s.dir)
	}
	s.run(t, filepath.Join(bin, "initdb"), "-D", s.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	conf := "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = 100\n"
	f, err := os.OpenFile(filepath.Join(s.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	s.start(t)
	t.Cleanup(func() {
		// It may already be stopped (a test that failed mid-outage).
		pgctl := []string{filepath.Join(bin, "pg_ctl"), "-D", s.data, "-m", "immediate", "-w", "stop"}
		if s.owner != "" {
			pgctl = append([]string{"runuser", "-u", s.owner, "--"}, pgctl...)
		}
		_ = exec.Command(pgctl[0], pgctl[1:]...).Run()
	})
	return s
}

// DSN points at the cluster's postgres database.
func (s *pgServer) DSN() string {
	return "postgres://postgres@127.0.0.1:" + s.port + "/postgres?sslmode=disable&connect_timeout=5"
}

func (s *pgServer) start(t *testing.T) {
	t.Helper()
	s.run(t, filepath.Join(s.bin, "pg_ctl"), "-D", s.data, "-l", filepath.Join(s.dir, "postgres.log"),
		"-o", "-p "+s.port, "-w", "-t", "60", "start")
}

// stop stops the server: "immediate" is a crash (recovery at the next
// start), "fast" a clean shutdown that disconnects every client.
func (s *pgServer) stop(t *testing.T, mode string) {
	t.Helper()
	s.run(t, filepath.Join(s.bin, "pg_ctl"), "-D", s.data, "-m", mode, "-w", "-t", "60", "stop")
}

func (s *pgServer) run(t *testing.T, argv ...string) {
	t.Helper()
	if s.owner != "" && argv[0] != "chown" {
		argv = append([]string{"runuser", "-u", s.owner, "--"}, argv...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
		t.Fatalf("%s: %v\n%s\n%s", strings.Join(argv, " "), err, out, log)
	}
}
