package snippets

import (
	"errors"
	"fmt"
)

// MaxNameLength is the longest snippet name accepted, in bytes.
const MaxNameLength = 128

// namePattern is the same rule as validName, published in the tool's input
// schema so that a client (or the model behind it) can see it before calling.
// A leading dot is refused so a name can never be ".", ".." or collide with
// the store's hidden temporary files.
const namePattern = `^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$`

var errInvalidName = errors.New("invalid snippet name")

// validName is the only gate between a caller's string and a file name, so it
// admits a deliberately small alphabet rather than trying to reject bad
// inputs one by one.
func validName(name string) error {
	if len(name) == 0 || len(name) > MaxNameLength {
		return fmt.Errorf("%w: must be 1 to %d characters", errInvalidName, MaxNameLength)
	}
	if name[0] == '.' {
		return fmt.Errorf("%w: must not start with '.'", errInvalidName)
	}
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) {
			return fmt.Errorf("%w: only letters, digits, '.', '_' and '-' are allowed", errInvalidName)
		}
	}
	return nil
}

func nameByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c == '.' || c == '_' || c == '-'
}
