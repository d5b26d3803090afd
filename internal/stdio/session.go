package stdio

import (
	"sync"
	"sync/atomic"
	"time"
)

// A session is one client's view of a process: a legacy-era MCP session
// (Mcp-Session-Id, 2025-03-26 … 2025-11-25), or, with an empty id, the
// single request of a 2026-07-28 client, which has no session.
type session struct {
	id    string
	owner string
	m     *mux

	initialized atomic.Bool // its initialize succeeded

	mu     sync.Mutex
	posts  []*stream // open POST streams, oldest first
	get    *stream   // the standalone GET stream, if open
	active int       // open HTTP requests
	idle   *time.Timer
	ended  bool
}

// modern reports whether this is a sessionless 2026-07-28 request, which
// cannot answer a server-to-client request: there is no session to POST
// the answer to.
func (s *session) modern() bool { return s.id == "" }

// begin and end bracket each HTTP request, pausing the idle timer while
// any is open. An open GET stream counts: a listening client is not idle.
func (s *session) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return false
	}
	s.active++
	if s.idle != nil {
		s.idle.Stop()
	}
	return true
}

func (s *session) end(timeout time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active--
	if s.active == 0 && s.idle != nil && !s.ended {
		s.idle.Reset(timeout)
	}
}

func (s *session) addPost(st *stream) {
	s.mu.Lock()
	s.posts = append(s.posts, st)
	s.mu.Unlock()
}

func (s *session) removePost(st *stream) {
	s.mu.Lock()
	for i, p := range s.posts {
		if p == st {
			s.posts = append(s.posts[:i], s.posts[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
}

// openGet registers the standalone stream; there is at most one
// (2025-11-25 basic/transports §"Multiple Connections": a message goes to
// one stream only, so a second listener would get nothing).
func (s *session) openGet() (*stream, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended || (s.get != nil && s.get.open()) {
		return nil, false
	}
	s.get = newGetStream()
	return s.get, true
}

func (s *session) closeGet(st *stream) {
	s.mu.Lock()
	if s.get == st {
		s.get = nil
	}
	s.mu.Unlock()
}

// deliver sends a message that is not a response and names no request
// (a server request such as sampling, a logging or list-changed
// notification). Order of preference: the only open POST stream, which is
// then surely the request it belongs to (2025-11-25 §"Sending Messages to
// the Server": such messages "SHOULD relate to the originating client
// request"); else the GET stream, meant for exactly this; else the oldest
// open POST stream. It reports false if the client has no open stream.
func (s *session) deliver(data []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	var open []*stream
	for _, p := range s.posts {
		if p.open() {
			open = append(open, p)
		}
	}
	if len(open) == 1 && open[0].push(data, false, 0) {
		return true
	}
	if s.get != nil && s.get.push(data, false, 0) {
		return true
	}
	for _, p := range open {
		if p.push(data, false, 0) {
			return true
		}
	}
	return false
}

// finish marks the session ended and closes its GET stream. POST streams
// end when their pending calls are answered (with an error, if need be).
func (s *session) finish() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return false
	}
	s.ended = true
	if s.idle != nil {
		s.idle.Stop()
	}
	if s.get != nil {
		s.get.close()
	}
	return true
}
