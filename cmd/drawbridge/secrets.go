package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/identity/local"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// stdin is replaced in tests.
var stdin io.Reader = os.Stdin

var hashPasswordCmd = &command{
	name:    "hash-password",
	summary: "hash a password for a local user (reads it from stdin)",
	about: `Reads one line, the password, from standard input and prints its argon2id hash, for
password_hash under identity.local.users. The password is read from standard input, never
from the command line, so that it stays out of the process list and the shell history. It
must be at least 8 characters.`,
	examples: []string{
		"drawbridge hash-password",
		"drawbridge hash-password < password.txt",
	},
	flags: noFlags(hashPassword),
}

func hashPassword(_ context.Context, stdout, stderr io.Writer) error {
	fmt.Fprintln(stderr, "Password (then Enter):")
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	pw := strings.TrimRight(line, "\r\n")
	if len(pw) < 8 {
		return errors.New("the password must be at least 8 characters")
	}
	h, err := local.HashPassword(pw)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, h)
	return nil
}

var genKeyCmd = &command{
	name:    "gen-key",
	summary: "print a new random encryption key",
	about: `Prints 32 random bytes in standard base64: a key for encryption_keys, which seal the
signing keys and the identity provider's tokens at rest. Keep it out of the configuration
file, in the environment (key: ${DRAWBRIDGE_KEY}); to replace a key, put the new one first
and run 'drawbridge keys reseal' before removing the old one.`,
	examples: []string{
		"drawbridge gen-key",
	},
	flags: noFlags(func(_ context.Context, stdout, _ io.Writer) error {
		fmt.Fprintln(stdout, generateKey())
		return nil
	}),
}

func generateKey() string { return tokens.GenerateKey() }
