package compose

import (
	"io"

	"github.com/drawbridge-mcp/drawbridge/internal/sse"
)

// errTooLarge: a member sent a message over maxMessageBytes.
var errTooLarge = sse.ErrTooLarge

// sseReader reads the data of server-sent events from a member's
// response: one JSON-RPC message per event. Event types are ignored: the
// composed server does not resume member streams.
type sseReader struct{ r *sse.Reader }

func newSSEReader(r io.Reader, max int) *sseReader { return &sseReader{sse.NewReader(r, max)} }

// next returns the data of the next event that has any, or io.EOF.
func (s *sseReader) next() ([]byte, error) {
	ev, err := s.r.Next()
	return ev.Data, err
}
