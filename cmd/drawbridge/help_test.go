package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestHelp asks every command of the tree for help, as -h, --help and
// `drawbridge help …`: each must exit 0, print to stdout only, and say what
// the command does with an example whose flags the command accepts. The
// tree is walked, so a command added without help fails here.
func TestHelp(t *testing.T) {
	n := 0
	for _, p := range helpProblems(root, root, root.name, &n) {
		t.Error(p)
	}
	if n < 25 {
		t.Errorf("only %d commands walked; the tree lost some", n)
	}
}

// TestHelpCatchesACommandWithoutHelp: the walk reports a command that has
// no about, no example, or an example its flags refuse.
func TestHelpCatchesACommandWithoutHelp(t *testing.T) {
	ok := func(context.Context, io.Writer, io.Writer) error { return nil }
	tree := &command{name: "drawbridge", about: "Root.", examples: []string{"drawbridge good"}, subs: []*command{
		{name: "good", summary: "s", about: "Good.", examples: []string{"drawbridge good"}, flags: noFlags(ok)},
		{name: "bare", summary: "s", flags: noFlags(ok)},
		{name: "stale", summary: "s", about: "Stale.", examples: []string{"drawbridge stale --gone x"},
			flags: func(fs *flag.FlagSet) action { fs.String("config", "", ""); return ok }},
	}}
	var n int
	got := strings.Join(helpProblems(tree, tree, tree.name, &n), "\n")
	for _, want := range []string{
		"drawbridge bare: no about",
		"drawbridge bare: no example",
		`drawbridge stale: example "drawbridge stale --gone x": flag provided but not defined: -gone`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("not reported: %s\ngot:\n%s", want, got)
		}
	}
	if strings.Contains(got, "drawbridge good") {
		t.Errorf("a command with help was reported:\n%s", got)
	}
}

// helpProblems checks c, reached from top by path, and every command under
// it; n counts them.
func helpProblems(top, c *command, path string, n *int) []string {
	*n++
	var p []string
	add := func(format string, args ...any) { p = append(p, path+": "+fmt.Sprintf(format, args...)) }
	if c != top && c.summary == "" {
		add("no summary")
	}
	if strings.TrimSpace(c.about) == "" {
		add("no about")
	}
	if len(c.examples) == 0 {
		add("no example")
	}
	words := strings.Fields(path)[1:]
	var first string
	for i, args := range [][]string{append(words, "-h"), append(words, "--help"), append([]string{"help"}, words...)} {
		code, out, errOut := dispatchCapture(top, args)
		switch {
		case code != 0:
			add("%q: exit %d, want 0", args, code)
		case errOut != "":
			add("%q: wrote to stderr: %q", args, errOut)
		case !strings.HasPrefix(out, "Usage: "+path):
			add("%q: help does not start with its usage line: %q", args, firstLine(out))
		case c.about != "" && !strings.Contains(out, c.about):
			add("%q: help lacks the about text", args)
		case i == 0:
			first = out
		case out != first:
			add("%q: help differs from -h", args)
		}
	}
	for _, e := range c.examples {
		if err := exampleError(c, path, e); err != nil {
			add("example %q: %v", e, err)
		} else if !strings.Contains(first, "  "+e+"\n") {
			add("example %q is not in the help", e)
		}
	}
	for _, s := range c.subs {
		p = append(p, helpProblems(top, s, path+" "+s.name, n)...)
	}
	return p
}

func dispatchCapture(top *command, args []string) (int, string, string) {
	var out, errOut strings.Builder
	code := top.dispatch(context.Background(), top.name, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// exampleError checks that an example is a command line for c: it starts
// with c's path and, up to a shell redirection, is accepted by c's flags
// (a group's example names one of its commands).
func exampleError(c *command, path, example string) error {
	rest, ok := strings.CutPrefix(example, path)
	if !ok || (rest != "" && rest[0] != ' ') {
		return fmt.Errorf("does not start with %q", path)
	}
	var args []string
	for _, w := range strings.Fields(rest) {
		if strings.ContainsAny(w[:1], "<>|") {
			break
		}
		args = append(args, w)
	}
	if c.subs != nil {
		if len(args) == 0 || c.find(args[0]) == nil {
			return fmt.Errorf("names none of the commands of %s", path)
		}
		return exampleError(c.find(args[0]), path+" "+args[0], example)
	}
	fs, _ := c.flagSet(path)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 && c.args == "" {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// TestHelpExitsZero is the reported case, through run as main calls it:
// -h exited 2, and printed an empty usage line for commands without flags.
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{
		{"-h"}, {"help"}, {"serve", "-h"}, {"demo", "--help"}, {"check", "-h"}, {"version", "-h"},
		{"hash-password", "-h"}, {"gen-key", "-h"}, {"keys", "-h"}, {"keys", "rotate", "-h"},
		{"clients", "revoke", "-h"}, {"grants", "list", "-h"}, {"audit", "list", "-h"},
	} {
		var out, errOut syncBuffer
		if code := run(context.Background(), args, &out, &errOut); code != 0 || errOut.String() != "" ||
			!strings.Contains(out.String(), "\nExamples:\n  drawbridge ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out.String(), errOut.String())
		}
	}
	var out, errOut syncBuffer
	run(context.Background(), []string{"gen-key", "-h"}, &out, &errOut)
	want := `Usage: drawbridge gen-key

Prints 32 random bytes in standard base64: a key for encryption_keys, which seal the
signing keys and the identity provider's tokens at rest. Keep it out of the configuration
file, in the environment (key: ${DRAWBRIDGE_KEY}); to replace a key, put the new one first
and run 'drawbridge keys reseal' before removing the old one.

Examples:
  drawbridge gen-key
`
	if out.String() != want {
		t.Errorf("gen-key -h:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestUsageErrorsExitTwo: a wrong command line exits 2 with the usage on
// stderr, and nothing runs.
func TestUsageErrorsExitTwo(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "Usage: drawbridge <command>"},
		{[]string{"frobnicate"}, `drawbridge: unknown command "frobnicate"`},
		{[]string{"keys"}, "Usage: drawbridge keys <command>"},
		{[]string{"keys", "frob"}, `drawbridge keys: unknown command "frob"`},
		{[]string{"serve", "--bogus"}, "drawbridge serve: flag provided but not defined: -bogus"},
		{[]string{"gen-key", "extra"}, `drawbridge gen-key: unexpected argument "extra"`},
		{[]string{"clients", "disable", "--user", "u"}, "drawbridge clients disable: flag provided but not defined: -user"},
		{[]string{"help", "frob"}, `drawbridge: unknown command "frob"`},
	} {
		var out, errOut syncBuffer
		if code := run(context.Background(), tc.args, &out, &errOut); code != 2 || out.String() != "" ||
			!strings.HasPrefix(errOut.String(), tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and %q", tc.args, code, out.String(), errOut.String(), tc.want)
		}
	}
}
