package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// A command is one verb of the command line, or a group of subcommands
// (keys list, keys rotate, …). Its help is part of its definition: dispatch
// answers -h, --help and `help` for every command from these fields, so a
// new command has help by construction, and TestHelp walks the tree so that
// one with an empty about or no example fails.
type command struct {
	name string
	// summary is one line, in the parent's list of commands.
	summary string
	// about says what the command does: the body of its help.
	about string
	// examples are complete command lines, each starting with
	// "drawbridge <path>"; TestHelp parses their flags.
	examples []string
	// flags declares the command's flags on fs and returns the action that
	// runs it with their parsed values. Nil for a group.
	flags func(fs *flag.FlagSet) action
	// args names the positional arguments in the usage line ("URL"); a
	// command without it takes none. Flags may come before and after them;
	// the action finds them in fs.Args().
	args string
	subs []*command
}

// usageError is an action's complaint about its command line: exit
// status 2 with the short usage, as for a wrong flag.
type usageError string

func (e usageError) Error() string { return string(e) }

// An action runs a command whose flags have been parsed.
type action func(ctx context.Context, stdout, stderr io.Writer) error

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// dispatch runs c (reached by path, such as "drawbridge keys") with args
// and returns the exit status: 0 for success and for help that was asked
// for, 1 for a failure, 2 for a wrong command line.
func (c *command) dispatch(ctx context.Context, path string, args []string, stdout, stderr io.Writer) int {
	if c.subs != nil {
		return c.dispatchGroup(ctx, path, args, stdout, stderr)
	}
	fs, act := c.flagSet(path)
	err := c.parse(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.help(stdout, path)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\n", path, err)
		c.shortUsage(stderr, path)
		return 2
	case fs.NArg() > 0 && c.args == "":
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", path, fs.Arg(0))
		c.shortUsage(stderr, path)
		return 2
	}
	err = act(ctx, stdout, stderr)
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %v\n", path, err)
		c.shortUsage(stderr, path)
		return 2
	case err != nil:
		fmt.Fprintln(stderr, "drawbridge:", err)
		return 1
	}
	return 0
}

// parse reads the flags; for a command with positional arguments, flags
// may also follow them, and fs.Args() holds the arguments afterwards.
func (c *command) parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err != nil || c.args == "" {
		return err
	}
	var pos []string
	for fs.NArg() > 0 {
		rest := fs.Args()
		pos = append(pos, rest[0])
		if err := fs.Parse(rest[1:]); err != nil {
			return err
		}
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

func (c *command) dispatchGroup(ctx context.Context, path string, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		c.help(stderr, path)
		return 2
	}
	if isHelp(args[0]) {
		return c.helpFor(path, args[1:], stdout, stderr)
	}
	sub := c.find(args[0])
	if sub == nil {
		fmt.Fprintf(stderr, "%s: unknown command %q\n\n", path, args[0])
		c.help(stderr, path)
		return 2
	}
	return sub.dispatch(ctx, path+" "+sub.name, args[1:], stdout, stderr)
}

// helpFor answers `<group> help [command…]`.
func (c *command) helpFor(path string, names []string, stdout, stderr io.Writer) int {
	for _, n := range names {
		if isHelp(n) {
			continue
		}
		sub := c.find(n)
		if sub == nil {
			fmt.Fprintf(stderr, "%s: unknown command %q\n\n", path, n)
			c.help(stderr, path)
			return 2
		}
		c, path = sub, path+" "+sub.name
	}
	c.help(stdout, path)
	return 0
}

func (c *command) find(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// flagSet declares c's flags. The flag package prints nothing: dispatch
// says what went wrong and prints help itself, to stdout when it was asked
// for and to stderr after a mistake.
func (c *command) flagSet(path string) (*flag.FlagSet, action) {
	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs, c.flags(fs)
}

// help prints what c does, its subcommands or flags, and its examples.
func (c *command) help(w io.Writer, path string) {
	if c.subs != nil {
		fmt.Fprintf(w, "Usage: %s <command> [flags]\n\n%s\n\nCommands:\n", path, c.about)
		for _, s := range c.subs {
			fmt.Fprintf(w, "  %-14s %s\n", s.name, s.summary)
		}
	} else {
		fmt.Fprintf(w, "Usage: %s%s\n\n%s\n", path, c.flagsHint(path), c.about)
		if fs, _ := c.flagSet(path); hasFlags(fs) {
			fmt.Fprintln(w, "\nFlags:")
			fs.SetOutput(w)
			fs.PrintDefaults()
		}
	}
	fmt.Fprintln(w, "\nExamples:")
	for _, e := range c.examples {
		fmt.Fprintln(w, "  "+e)
	}
	if c.subs != nil {
		fmt.Fprintf(w, "\nRun '%s <command> -h' for what a command does, its flags and an example.\n", path)
	}
}

// shortUsage follows a mistake on the command line.
func (c *command) shortUsage(w io.Writer, path string) {
	fmt.Fprintf(w, "Usage: %s%s\nRun '%s -h' for help.\n", path, c.flagsHint(path), path)
}

func (c *command) flagsHint(path string) string {
	hint := ""
	if fs, _ := c.flagSet(path); hasFlags(fs) {
		hint = " [flags]"
	}
	if c.args != "" {
		hint += " " + c.args
	}
	return hint
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// noFlags is the flags function of a command that takes none.
func noFlags(run action) func(*flag.FlagSet) action {
	return func(*flag.FlagSet) action { return run }
}

// configFlag declares the --config flag every command that reads the
// configuration has.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "drawbridge.yaml", "configuration `file`")
}
