package main

import (
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/doctor"
)

var doctorCmd = &command{
	name:    "doctor",
	summary: "check a running deployment from outside, as MCP clients see it, and print each problem's fix",
	about: `Checks a running deployment from the outside, as MCP clients do, and prints each problem
with its fix: the 401 challenge, the protected resource and authorization server metadata,
public_url, registration, CORS, TLS, clock skew, and whether a proxy on the way buffers
Server-Sent Events. It needs no configuration, database or credentials.

URL is an MCP endpoint, such as https://mcp.example.com/mcp. Given a bare origin
(https://mcp.example.com), the doctor checks the endpoint its root protected resource
metadata names (a Drawbridge with one MCP server).

Exit status: 0 when no check found a problem (warnings do not count), 1 when one did, 2 for
a usage error. docs/doctor.md explains each check and the --json output.`,
	examples: []string{
		"drawbridge doctor https://mcp.example.com/mcp",
		"drawbridge doctor --json --ca-file internal-ca.pem https://mcp.internal.example/mcp",
	},
	args: "URL",
	flags: func(fs *flag.FlagSet) action {
		asJSON := fs.Bool("json", false, "print the report as one JSON object")
		timeout := fs.Duration("timeout", 10*time.Second, "limit on each request")
		caFile := fs.String("ca-file", "", "PEM `file` of certificate authorities to trust besides the system's")
		origin := fs.String("origin", "", "`origin` of a browser-based client, such as http://localhost:6274, whose access to the MCP endpoint to check")
		delay := fs.Duration("stream-delay", doctor.DefaultStreamDelay, "gap between the test stream's two events, 1s to 5s")
		return func(ctx context.Context, stdout, _ io.Writer) error {
			if fs.NArg() != 1 {
				return usageError("give the URL of one MCP endpoint")
			}
			roots, err := loadRoots(*caFile)
			if err != nil {
				return usageError(err.Error())
			}
			rep, err := doctor.Run(ctx, fs.Arg(0), doctor.Options{RootCAs: roots, Timeout: *timeout, StreamDelay: *delay, Origin: *origin})
			if err != nil {
				return usageError(err.Error())
			}
			if *asJSON {
				err = rep.WriteJSON(stdout)
			} else {
				err = rep.WriteText(stdout)
			}
			if err != nil {
				return err
			}
			if rep.Problems > 0 {
				return fmt.Errorf("doctor: %d problem(s) found", rep.Problems)
			}
			return nil
		}
	},
}

// loadRoots is the system's authorities plus those in file; nil (the
// system's) without a file.
func loadRoots(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-file: no PEM certificate in %s", file)
	}
	return pool, nil
}
