package compose

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// errTooLarge: a member sent a message over maxMessageBytes.
var errTooLarge = errors.New("message over the size limit")

// sseReader reads the data of server-sent events (WHATWG HTML
// §"Parsing an event stream") from a member's response: one JSON-RPC
// message per event. Event types, ids and retry fields are ignored: the
// composed server does not resume member streams. Every line and event is
// capped, so a member cannot make it buffer without bound.
type sseReader struct {
	r   *bufio.Reader
	max int
}

func newSSEReader(r io.Reader, max int) *sseReader {
	return &sseReader{r: bufio.NewReaderSize(r, 32<<10), max: max}
}

// next returns the data of the next event that has any, or io.EOF.
func (s *sseReader) next() ([]byte, error) {
	var data []byte
	has := false
	for {
		line, err := s.line()
		if err != nil {
			if err == io.EOF && has {
				// A stream that ends without the blank line: the event is
				// incomplete and is dropped, as the spec says.
				return nil, io.EOF
			}
			return nil, err
		}
		if len(line) == 0 {
			if has {
				return data, nil
			}
			continue
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		if string(name) != "data" {
			continue // comments, event, id, retry
		}
		if has {
			data = append(data, '\n')
		}
		if len(data)+len(value) > s.max {
			return nil, fmt.Errorf("an event: %w", errTooLarge)
		}
		data = append(data, value...)
		has = true
	}
}

// line reads one line without its end (CRLF, LF or CR as the spec allows
// CR alone; a lone CR is treated as a line end only before LF here, which
// no MCP server sends otherwise).
func (s *sseReader) line() ([]byte, error) {
	var out []byte
	for {
		frag, err := s.r.ReadSlice('\n')
		if len(out)+len(frag) > s.max+2 {
			return nil, fmt.Errorf("a line: %w", errTooLarge)
		}
		out = append(out, frag...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(out) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		out = bytes.TrimSuffix(out, []byte("\n"))
		return bytes.TrimSuffix(out, []byte("\r")), nil
	}
}
