package stdio

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
)

// Mode says how MCP sessions map onto server processes.
type Mode string

const (
	// PerSession runs one process for each MCP session: sessions cannot see
	// each other's state, and ending the session stops its process. The
	// default.
	PerSession Mode = "per-session"
	// Shared runs one process for every session. The bridge multiplexes the
	// sessions onto the process's single stdio channel (see doc.go for what
	// that can and cannot express).
	Shared Mode = "shared"
)

// Backoff paces restarts of the shared process after it exits unexpectedly.
type Backoff struct {
	// Initial is the first delay (default 100ms); each further failure
	// doubles it.
	Initial time.Duration
	// Max caps the delay (default 30s).
	Max time.Duration
	// ResetAfter is how long a process must have run for the next failure
	// to count as a first one again (default 30s).
	ResetAfter time.Duration
}

// Options configures a Bridge. Each field's comment is also its user
// documentation. The configurable ones take the configuration's defaults
// (package config) when zero.
type Options struct {
	// Name identifies the server in logs (default: the command's base name).
	Name string
	// Command is the server's argv. It is executed directly, never through a
	// shell; a bare name is looked up in the child's PATH.
	Command []string
	// Dial, if set, replaces the process: each session's messages travel
	// over a Conn it opens (Mode must be PerSession, and Command, Env and
	// Dir are unused).
	Dial DialFunc
	// Env is added to the child's environment. The child does NOT inherit
	// the gateway's environment, which holds secrets (signing keys, client
	// secrets, database passwords): it starts from PATH, HOME and LANG
	// copied from the gateway, and Env adds to or overrides those.
	Env map[string]string
	// Dir is the child's working directory (default: the gateway's).
	Dir string
	// Mode is PerSession (the default, config.DefaultStdioMode) or Shared.
	Mode Mode
	// MaxSessions caps concurrent MCP sessions (default
	// config.DefaultStdioMaxSessions). A new session beyond it is refused
	// with 503.
	MaxSessions int
	// IdleTimeout ends a session after this long without an open HTTP
	// request (default config.DefaultStdioIdleTimeout; negative: never).
	IdleTimeout time.Duration
	// Restart paces restarts of the shared process.
	Restart Backoff
	// GracePeriod is how long Close waits after closing the child's stdin
	// before SIGTERM, and again before SIGKILL (default 5s).
	GracePeriod time.Duration
	// StartTimeout bounds how long a request waits for the shared process
	// to be (re)started and initialized (default 30s).
	StartTimeout time.Duration
	// KeepAlive is the interval of SSE comments on quiet streams, so that
	// intermediaries do not cut long calls (default config.DefaultKeepAlive;
	// negative: none).
	KeepAlive time.Duration
	// MaxBodyBytes caps an HTTP request body (default
	// config.DefaultMaxRequestBytes).
	MaxBodyBytes int64
	// MaxMessageBytes caps one message on the child's stdout (default
	// 16 MiB); a longer line is dropped and logged.
	MaxMessageBytes int
	// SessionOwner, if set, names the principal behind a request (the token
	// subject). A session is bound to the owner that created it, and any
	// other owner gets 404 for it (a session id is not a credential).
	SessionOwner func(*http.Request) string
	// Logger receives the bridge's logs and every stderr line of the child,
	// at info level (default slog.Default()).
	Logger *slog.Logger
}

// inheritedEnv lists the only variables copied from the gateway's
// environment into the child's.
var inheritedEnv = []string{"PATH", "HOME", "LANG"}

func (o Options) withDefaults() Options {
	if o.Mode == "" {
		o.Mode = Mode(config.DefaultStdioMode)
	}
	if o.Name == "" && len(o.Command) > 0 {
		o.Name = filepath.Base(o.Command[0])
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.IdleTimeout, config.DefaultStdioIdleTimeout)
	def(&o.Restart.Initial, 100*time.Millisecond)
	def(&o.Restart.Max, 30*time.Second)
	def(&o.Restart.ResetAfter, 30*time.Second)
	def(&o.GracePeriod, 5*time.Second)
	def(&o.StartTimeout, 30*time.Second)
	def(&o.KeepAlive, config.DefaultKeepAlive)
	if o.MaxSessions == 0 {
		o.MaxSessions = config.DefaultStdioMaxSessions
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = config.DefaultMaxRequestBytes
	}
	if o.MaxMessageBytes == 0 {
		o.MaxMessageBytes = 16 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// validate reports every problem at once.
func (o Options) validate() error {
	var errs []error
	switch {
	case o.Dial != nil && len(o.Command) > 0:
		errs = append(errs, errors.New("a command and a dialer: the server is one or the other"))
	case o.Dial != nil && o.Mode != PerSession:
		// A dialed connection may carry the credential of the caller who
		// opened it: it must serve that caller's session alone.
		errs = append(errs, fmt.Errorf("a dialed server runs %q", PerSession))
	case o.Dial == nil && (len(o.Command) == 0 || o.Command[0] == ""):
		errs = append(errs, errors.New("command is empty"))
	}
	if o.Mode != PerSession && o.Mode != Shared {
		errs = append(errs, fmt.Errorf("mode %q is neither %q nor %q", o.Mode, PerSession, Shared))
	}
	for k, v := range o.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			errs = append(errs, fmt.Errorf("env: invalid variable %q", k))
		}
	}
	if o.MaxSessions < 0 || o.MaxBodyBytes < 0 || o.MaxMessageBytes < 0 {
		errs = append(errs, errors.New("limits must not be negative"))
	}
	if o.Restart.Initial < 0 || o.Restart.Max < o.Restart.Initial {
		errs = append(errs, errors.New("restart backoff: need 0 <= initial <= max"))
	}
	if len(errs) == 0 && o.Dial == nil {
		if _, err := o.resolveCommand(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// environ builds the child's environment: the few inherited variables, then
// Env, sorted so that the child sees a stable order.
func (o Options) environ() []string {
	env := map[string]string{}
	for _, k := range inheritedEnv {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	for k, v := range o.Env {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// resolveCommand finds the executable. A bare name is searched in the PATH
// the child will have (Env may override it), not only the gateway's, so that
// what New checks is what Start runs.
func (o Options) resolveCommand() (string, error) {
	name := o.Command[0]
	if strings.ContainsRune(name, os.PathSeparator) {
		p := name
		if !filepath.IsAbs(p) && o.Dir != "" {
			p = filepath.Join(o.Dir, p)
		}
		if err := executable(p); err != nil {
			return "", fmt.Errorf("command %q: %w", name, err)
		}
		return name, nil
	}
	path := os.Getenv("PATH")
	if v, ok := o.Env["PATH"]; ok {
		path = v
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("command %q: not found in PATH", name)
}

func executable(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return err
	case fi.IsDir():
		return errors.New("is a directory")
	case fi.Mode()&0o111 == 0:
		return errors.New("not executable")
	}
	return nil
}
