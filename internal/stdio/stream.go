package stdio

import (
	"sync"
)

// maxQueued bounds the messages waiting for one slow HTTP client. Beyond
// it the stream is abandoned rather than the process's stdout reader
// blocked, which would stall every other session of a shared process.
const maxQueued = 4096

// A stream is one HTTP response that carries messages to the client: the
// answer to a POST that held requests, or the session's standalone GET
// stream (2025-11-25 basic/transports §"Listening for Messages from the
// Server").
type stream struct {
	// single: the POST held exactly one request, so if its response is the
	// first and only message it can go out as plain application/json.
	single bool

	mu      sync.Mutex
	queue   []item
	pending int  // responses still owed; the stream ends at zero (POST only)
	get     bool // the standalone stream: ends only with its session
	done    bool // the last message is queued, or the stream was abandoned
	wake    chan struct{}
}

type item struct {
	data []byte
	last bool // the final response: the HTTP response ends after it
	// errCode is the JSON-RPC error code of a response, for the status
	// mapping of 2026-07-28 requests; 0 if none.
	errCode int64
}

func newPostStream(requests int, single bool) *stream {
	return &stream{pending: requests, single: single, wake: make(chan struct{}, 1)}
}

func newGetStream() *stream {
	return &stream{get: true, wake: make(chan struct{}, 1)}
}

// push queues a message. response says it answers one of the stream's
// requests. It reports false if the stream takes no more messages.
func (s *stream) push(data []byte, response bool, errCode int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return false
	}
	it := item{data: data, errCode: errCode}
	if response && !s.get && s.pending > 0 {
		s.pending--
		it.last = s.pending == 0
		s.done = it.last
	}
	if len(s.queue) >= maxQueued {
		s.done = true
		s.signal()
		return false
	}
	s.queue = append(s.queue, it)
	s.signal()
	return true
}

// close abandons the stream: nothing more will be queued.
func (s *stream) close() {
	s.mu.Lock()
	s.done = true
	s.signal()
	s.mu.Unlock()
}

// take returns the queued messages and whether the stream is over.
func (s *stream) take() ([]item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	return q, s.done
}

// open reports whether the stream still takes messages.
func (s *stream) open() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.done
}

func (s *stream) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
