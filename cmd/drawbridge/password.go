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

// runHashPassword reads one line (the password) from standard input, so the
// password never appears in the process list or shell history.
func runHashPassword(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if err := parse(newFlags("hash-password", stderr), args); err != nil {
		return err
	}
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

func generateKey() string { return tokens.GenerateKey() }
