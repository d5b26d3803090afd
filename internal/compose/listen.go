package compose

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// subscriptions/listen (2026-07-28, SEP-2575) is the sessionless
// notification stream: the client names the notifications it wants, the
// server acknowledges the subset it honours as the first message, then
// sends them on the request's stream until the client closes it. A
// composed server opens one listen request per member that has something
// to send (resource subscriptions go to the member owning each URI),
// acknowledges the union of the members' acknowledgements, and merges the
// members' notifications onto the client's stream, each carrying the
// client's subscription id.

const (
	methodListen    = "subscriptions/listen"
	notificationAck = "notifications/subscriptions/acknowledged"
)

// subscriptions is NotificationSubscriptions as the composed server reads
// and merges it.
type subscriptions struct {
	Tools     bool     `json:"toolsListChanged,omitempty"`
	Prompts   bool     `json:"promptsListChanged,omitempty"`
	Resources bool     `json:"resourcesListChanged,omitempty"`
	URIs      []string `json:"resourceSubscriptions,omitempty"`
}

func (a *subscriptions) add(b subscriptions) {
	a.Tools = a.Tools || b.Tools
	a.Prompts = a.Prompts || b.Prompts
	a.Resources = a.Resources || b.Resources
	a.URIs = append(a.URIs, b.URIs...)
}

func (a subscriptions) any() bool { return a.Tools || a.Prompts || a.Resources || len(a.URIs) > 0 }

// listenFanout is one subscriptions/listen request being served.
type listenFanout struct {
	s      *Server
	v      view
	id     jsonrpc.ID // the client's request id: the subscription id
	st     *stream
	acks   chan *subscriptions // one per member: its acknowledgement, nil if none
	ackOut chan struct{}       // closed once the client has the acknowledgement
}

func (s *Server) listen(ctx context.Context, v view, req *jsonrpc.Request, st *stream) {
	want, ok := readSubscriptions(req.Params)
	if !ok {
		st.reply(invalidParams(req.ID, "params.notifications must be a NotificationSubscriptions object"))
		return
	}
	perMember := make([]subscriptions, len(s.members))
	for i := range perMember {
		perMember[i] = subscriptions{Tools: want.Tools, Prompts: want.Prompts, Resources: want.Resources}
	}
	for _, uri := range want.URIs {
		if m, ok := s.ownerOfURI(ctx, v, uri); ok {
			perMember[m.idx].URIs = append(perMember[m.idx].URIs, uri)
		}
	}
	f := &listenFanout{s: s, v: v, id: req.ID, st: st, acks: make(chan *subscriptions, len(s.members)), ackOut: make(chan struct{})}
	var wg sync.WaitGroup
	started := 0
	for i, m := range s.members {
		if !perMember[i].any() {
			continue
		}
		started++
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.member(ctx, m, req.Params, perMember[i])
		}()
	}
	f.acknowledge(ctx, started)
	wg.Wait()
	if ctx.Err() == nil {
		st.reply(resultBody(req.ID, map[string]any{"resultType": "complete", "_meta": map[string]any{mcp.MetaKeySubscriptionID: req.ID.Raw()}}), 0)
	}
}

func readSubscriptions(params json.RawMessage) (subscriptions, bool) {
	raw, found, err := getMember(paramsObject(params), "notifications")
	var sub subscriptions
	if err != nil || !found || !isObject(raw) || json.Unmarshal(raw, &sub) != nil {
		return sub, false
	}
	return sub, true
}

func isObject(raw []byte) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == '{'
	}
	return false
}

// acknowledge waits for every member's acknowledgement (or failure, or
// its timeout) and sends the client the union, which must be the stream's
// first message.
func (f *listenFanout) acknowledge(ctx context.Context, members int) {
	wait := time.NewTimer(f.s.maxTimeout())
	defer wait.Stop()
	var union subscriptions
	for range members {
		select {
		case a := <-f.acks:
			if a != nil {
				union.add(*a)
			}
		case <-wait.C:
		case <-ctx.Done():
			return
		}
	}
	params, _ := json.Marshal(map[string]any{"notifications": union, "_meta": map[string]any{mcp.MetaKeySubscriptionID: f.id.Raw()}})
	body, _ := encodeMessage(&jsonrpc.Request{Method: notificationAck, Params: params})
	f.st.push(body, false, 0)
	close(f.ackOut)
}

// member holds one member's listen request open and relays what it sends.
func (f *listenFanout) member(ctx context.Context, m *member, clientParams json.RawMessage, sub subscriptions) {
	acked := false
	defer func() {
		if !acked {
			f.acks <- nil
		}
	}()
	notes, _ := json.Marshal(sub)
	params, err := setMember(paramsObject(clientParams), "notifications", notes)
	if err != nil {
		return
	}
	id := f.s.newID()
	a, _, err := f.s.send(ctx, f.v, m, &jsonrpc.Request{ID: id, Method: methodListen, Params: params}, "")
	if err != nil {
		return
	}
	defer a.close()
	for {
		msg, err := a.next()
		if err != nil {
			return
		}
		note, ok := msg.(*jsonrpc.Request)
		if !ok || note.IsCall() {
			if resp, ok := msg.(*jsonrpc.Response); ok && resp.ID == id {
				return // the member ended the subscription
			}
			continue
		}
		if note.Method == notificationAck && !acked {
			got, ok := readSubscriptions(note.Params)
			if ok {
				acked = true
				f.acks <- &got
			}
			continue
		}
		select {
		case <-f.ackOut:
		case <-ctx.Done():
			return
		}
		f.relay(note)
	}
}

// relay sends a member's notification to the client under the client's
// subscription id.
func (f *listenFanout) relay(note *jsonrpc.Request) {
	params := paramsObject(note.Params)
	meta, found, err := getMember(params, "_meta")
	if err != nil {
		return
	}
	if !found {
		meta = []byte("{}")
	}
	if meta, err = setMember(meta, mcp.MetaKeySubscriptionID, mustJSON(f.id.Raw())); err != nil {
		return
	}
	if note.Params, err = setMember(params, "_meta", meta); err != nil {
		return
	}
	if body, err := encodeMessage(note); err == nil {
		f.st.push(body, false, 0)
	}
}

func (s *Server) maxTimeout() time.Duration {
	var max time.Duration
	for _, m := range s.members {
		max = maxDuration(max, m.timeout)
	}
	return max
}

func maxDuration(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}
