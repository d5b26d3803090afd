package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/doctor"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

func TestDoctorUsage(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.pem")
	notPEM := filepath.Join(t.TempDir(), "x.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	for _, args := range [][]string{
		{"doctor"}, {"doctor", "ftp://example.com/mcp"}, {"doctor", "mcp.example.com"},
		{"doctor", "https://a.example/mcp", "https://b.example/mcp"}, {"doctor", "--frobnicate", "https://a.example/mcp"},
		{"doctor", "--stream-delay", "10s", "https://a.example/mcp"}, {"doctor", "--stream-delay", "1500ms", "https://a.example/mcp"},
		{"doctor", "--origin", "https://app.example/path", "https://a.example/mcp"},
		{"doctor", "--ca-file", missing, "https://a.example/mcp"}, {"doctor", "--ca-file", notPEM, "https://a.example/mcp"},
	} {
		var out, errOut syncBuffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "Usage: drawbridge doctor") ||
			out.String() != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr:\n%s", args, code, out.String(), errOut.String())
		}
	}
}

// A correct deployment: exit 0, flags before or after the URL, and the
// documented JSON shape.
func TestDoctorCorrectDeployment(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	var out, errOut syncBuffer
	if code := run(context.Background(), []string{"doctor", gw.MCP}, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "0 problems, 0 warnings.") {
		t.Fatalf("exit %d:\n%s%s", code, out.String(), errOut.String())
	}
	out = syncBuffer{}
	if code := run(context.Background(), []string{"doctor", gw.URL, "--json", "--timeout", "5s"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out.String(), errOut.String())
	}
	var rep doctor.Report
	dec := json.NewDecoder(strings.NewReader(out.String()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if rep.Format != 1 || rep.URL != gw.URL || rep.MCP != gw.MCP || rep.Problems != 0 || len(rep.Checks) != len(doctor.Names) {
		t.Errorf("report: %+v", rep)
	}
	for i, c := range rep.Checks {
		if c.Name != doctor.Names[i] || c.Seen == "" {
			t.Errorf("check %d: %+v", i, c)
		}
	}
}

// A problem: exit 1, and the report says which.
func TestDoctorProblem(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{PublicURL: "https://gateway.invalid"})
	var out, errOut syncBuffer
	code := run(context.Background(), []string{"doctor", "--json", gw.Direct + "/mcp"}, &out, &errOut)
	var rep doctor.Report
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil || code != 1 || rep.Problems != 1 ||
		rep.Check("public_url").Status != doctor.Problem || !strings.Contains(errOut.String(), "1 problem(s) found") {
		t.Fatalf("exit %d, %v:\n%s%s", code, err, out.String(), errOut.String())
	}
}

// --ca-file adds an authority: the certificate is then trusted, and the
// only problem left is that nothing there is an MCP endpoint.
func TestDoctorCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	for _, tt := range []struct {
		args []string
		tls  doctor.Status
	}{
		{[]string{"doctor", "--json", "--ca-file", ca, srv.URL + "/mcp"}, doctor.OK},
		{[]string{"doctor", "--json", srv.URL + "/mcp"}, doctor.Problem},
	} {
		var out, errOut syncBuffer
		code := run(context.Background(), tt.args, &out, &errOut)
		var rep doctor.Report
		if err := json.Unmarshal([]byte(out.String()), &rep); err != nil || code != 1 || rep.Check("tls").Status != tt.tls ||
			rep.Check("challenge").Status != doctor.Problem {
			t.Errorf("%q: exit %d, %v:\n%s", tt.args, code, err, out.String())
		}
	}
}
