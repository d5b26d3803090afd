package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/doctor"
)

const doctorHelp = `Usage: drawbridge doctor [flags] URL

Checks a running deployment from the outside, as MCP clients do, and prints
each problem with its fix: the 401 challenge, the protected resource and
authorization server metadata, public_url, registration, CORS, TLS, clock
skew, and whether a proxy on the way buffers Server-Sent Events. It needs
no configuration, database or credentials.

URL is an MCP endpoint, such as https://mcp.example.com/mcp. Given a bare
origin (https://mcp.example.com), the doctor checks the endpoint its root
protected resource metadata names (a Drawbridge with one MCP server).

Exit status: 0 when no check found a problem (warnings do not count), 1 when
one did, 2 for a usage error. docs/doctor.md explains each check and the
--json output.

Flags:
`

// runDoctor: drawbridge doctor [flags] URL (flags may also follow the URL).
func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("doctor", stderr)
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	timeout := fs.Duration("timeout", 10*time.Second, "limit on each request")
	caFile := fs.String("ca-file", "", "PEM `file` of certificate authorities to trust besides the system's")
	origin := fs.String("origin", "", "`origin` of a browser-based client, such as http://localhost:6274, whose access to the MCP endpoint to check")
	delay := fs.Duration("stream-delay", doctor.DefaultStreamDelay, "gap between the test stream's two events, 1s to 5s")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), doctorHelp)
		fs.PrintDefaults()
	}
	rawURL, err := parseDoctorArgs(fs, args)
	if err != nil {
		return err
	}
	roots, err := loadRoots(*caFile)
	if err != nil {
		return usageError(fs, err)
	}
	rep, err := doctor.Run(ctx, rawURL, doctor.Options{RootCAs: roots, Timeout: *timeout, StreamDelay: *delay, Origin: *origin})
	if err != nil {
		return usageError(fs, err)
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

// parseDoctorArgs reads the flags and the one URL, in either order. A
// flag the package refuses has been reported with the usage already.
func parseDoctorArgs(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", flagError(err)
	}
	if fs.NArg() == 0 {
		return "", usageError(fs, fmt.Errorf("give the URL of an MCP endpoint"))
	}
	rawURL := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return "", flagError(err)
	}
	if fs.NArg() > 0 {
		return "", usageError(fs, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	return rawURL, nil
}

// flagError makes any flag error a usage error (exit status 2); -h stays
// flag.ErrHelp.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return errUsage
}

func usageError(fs *flag.FlagSet, err error) error {
	fmt.Fprintf(fs.Output(), "drawbridge doctor: %v\n\n", err)
	fs.Usage()
	return errUsage
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
