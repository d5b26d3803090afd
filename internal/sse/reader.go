// Package sse reads server-sent event streams (WHATWG HTML, "Server-sent
// events", §"Parsing an event stream") from MCP servers, strictly and
// within limits: every line and every event is capped, so a server cannot
// make the gateway buffer without bound.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrTooLarge: a line or an event's data is over the reader's limit.
var ErrTooLarge = errors.New("message over the size limit")

// An Event is one dispatched event: its type ("message" when the stream
// named none) and its data, the data lines joined by "\n".
type Event struct {
	Type string
	Data []byte
}

// Reader reads the events of a stream. Event ids and retry fields are
// ignored: nothing here resumes a stream.
type Reader struct {
	r   *bufio.Reader
	max int
}

// NewReader reads events from r; max caps an event's data, and a line.
func NewReader(r io.Reader, max int) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 32<<10), max: max}
}

// Next returns the next event that has data, or io.EOF (io.ErrUnexpectedEOF
// when the stream ends inside a line). An event the stream ends before the
// blank line that completes it is dropped, as the specification says.
func (s *Reader) Next() (Event, error) {
	var ev Event
	has := false
	for {
		line, err := s.line()
		if err != nil {
			if err == io.EOF && has {
				return Event{}, io.EOF
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if has {
				if ev.Type == "" {
					ev.Type = "message"
				}
				return ev, nil
			}
			ev.Type = "" // an event without data is not dispatched
			continue
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(name) {
		case "event":
			ev.Type = string(value)
			continue
		case "data":
		default:
			continue // comments, id, retry, unknown fields
		}
		if has {
			ev.Data = append(ev.Data, '\n')
		}
		if len(ev.Data)+len(value) > s.max {
			return Event{}, fmt.Errorf("an event: %w", ErrTooLarge)
		}
		ev.Data = append(ev.Data, value...)
		has = true
	}
}

// line reads one line without its end (CRLF or LF; a lone CR is treated as
// a line end only before LF here, which no MCP server sends otherwise).
func (s *Reader) line() ([]byte, error) {
	var out []byte
	for {
		frag, err := s.r.ReadSlice('\n')
		if len(out)+len(frag) > s.max+2 {
			return nil, fmt.Errorf("a line: %w", ErrTooLarge)
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
