package replicas

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// servedBy is the response header the test's load balancer adds, naming
// the replica that answered (the only line the tests add to the documented
// configurations, besides their own addresses).
const servedBy = "X-Served-By"

// backendHTTP is the header HAProxy adds with the HTTP major version it
// spoke to the replica.
const backendHTTP = "X-Backend-HTTP"

// balancer is a load balancer in front of the replicas.
type balancer struct {
	kind string
	addr string
	proc *process
	// names maps what the balancer puts in servedBy to a replica's name.
	names map[string]string
}

// docBlock returns the fenced block of docs/deploy.md marked
// "<!-- test: name -->", so that the tests run exactly what the
// documentation shows.
func docBlock(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile("../../../docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- test: " + regexp.QuoteMeta(name) + " -->\\s*```[a-z]*\\n(.*?)```")
	m := re.FindSubmatch(raw)
	if m == nil {
		t.Fatalf("docs/deploy.md has no block %q", name)
	}
	return string(m[1])
}

// startBalancer runs kind ("haproxy", "haproxy-h2c" or "nginx") on addr in
// front of the replicas, from the configuration docs/deploy.md documents.
// haproxy-h2c speaks HTTP/2 without TLS to the replicas (which then need
// h2c: true). It skips the test when the program is not installed.
func startBalancer(t *testing.T, kind, addr string, replicas []*replica) *balancer {
	t.Helper()
	dir := t.TempDir()
	b := &balancer{kind: kind, addr: addr, names: map[string]string{}}
	var argv []string
	switch kind {
	case "haproxy", "haproxy-h2c":
		bin, err := lookBinary("DRAWBRIDGE_TEST_HAPROXY", "haproxy")
		if err != nil {
			t.Skip("haproxy is not installed; run scripts/install-balancers (scripts/test-all does)")
		}
		cfg := haproxyConfig(t, addr, replicas, kind == "haproxy-h2c")
		for _, r := range replicas {
			b.names[r.name] = r.name
		}
		path := filepath.Join(dir, "haproxy.cfg")
		writeFile(t, path, cfg)
		argv = []string{bin, "-db", "-f", path}
	case "nginx":
		bin, err := lookBinary("DRAWBRIDGE_TEST_NGINX", "nginx")
		if err != nil {
			t.Skip("nginx is not installed; run scripts/install-balancers (scripts/test-all does)")
		}
		for _, r := range replicas {
			b.names[r.addr] = r.name
		}
		path := filepath.Join(dir, "nginx.conf")
		writeFile(t, path, nginxConfig(t, addr, dir, replicas))
		argv = []string{bin, "-p", dir, "-c", path, "-e", "stderr"}
	default:
		t.Fatalf("unknown balancer %q", kind)
	}
	b.proc = &process{name: kind, argv: argv, env: os.Environ(), log: filepath.Join(dir, "balancer.log")}
	b.proc.start(t)
	t.Cleanup(func() {
		b.proc.signal(t, syscall.SIGKILL)
		if t.Failed() {
			t.Logf("%s output:\n%s", kind, b.proc.output())
		}
	})
	b.proc.waitHTTP(t, "http://"+addr+"/healthz")
	return b
}

// haproxyConfig is the documented configuration with the test's listen
// address (no TLS: the test clients speak plain HTTP on loopback) and
// replicas, and a header naming the replica that answered.
func haproxyConfig(t *testing.T, addr string, replicas []*replica, h2c bool) string {
	doc := docBlock(t, "haproxy")
	var out []string
	servers := false
	for _, line := range strings.Split(doc, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 0 && f[0] == "bind":
			line = "    bind " + addr
		case len(f) > 0 && f[0] == "server":
			if servers {
				continue
			}
			servers = true
			var lines []string
			for _, r := range replicas {
				line := fmt.Sprintf("    server %s %s", r.name, r.addr)
				if h2c {
					line += " proto h2"
				}
				lines = append(lines, line)
			}
			lines = append(lines, "    http-response set-header "+servedBy+" %[srv_name]",
				"    http-response set-header "+backendHTTP+" %[bc_http_major]")
			line = strings.Join(lines, "\n")
		}
		out = append(out, line)
	}
	if !servers {
		t.Fatal("the documented HAProxy configuration has no server lines")
	}
	return strings.Join(out, "\n")
}

// nginxConfig wraps the documented server and upstream blocks in a
// complete nginx.conf that runs in dir.
func nginxConfig(t *testing.T, addr, dir string, replicas []*replica) string {
	doc := docBlock(t, "nginx")
	var out []string
	servers := false
	for _, line := range strings.Split(doc, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 0 && f[0] == "listen":
			line = "    listen " + addr + ";\n    add_header " + servedBy + " $upstream_addr always;"
		case len(f) > 0 && strings.HasPrefix(f[0], "ssl_"):
			continue
		case len(f) > 1 && f[0] == "server" && strings.Contains(f[1], ":"):
			if servers {
				continue
			}
			servers = true
			var lines []string
			for _, r := range replicas {
				lines = append(lines, fmt.Sprintf("    server %s %s;", r.addr, strings.TrimSuffix(strings.Join(f[2:], " "), ";")))
			}
			line = strings.Join(lines, "\n")
		}
		out = append(out, line)
	}
	if !servers {
		t.Fatal("the documented nginx configuration has no upstream servers")
	}
	return fmt.Sprintf(`daemon off;
master_process on;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[2]s
}
`, dir, strings.Join(out, "\n"))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
