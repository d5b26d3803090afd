package doctor

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/go-json-experiment/json"
)

// Caps on the test stream: a hostile server cannot make the doctor read
// more than this, or wait longer than the delay plus the timeout.
const (
	maxStreamBytes = 64 << 10
	maxStreamLine  = 4 << 10
)

// buffering is the share of the delay below which the two events count
// as having arrived together. Events sent seconds apart that arrive less
// than half that apart were held back on the way; scheduling noise on
// either side is far smaller than half a second.
const buffering = 2

// streamed is an event of the test stream as the doctor received it: at
// is the monotonic time.Now, for durations; clock is Options.Now, for the
// clock check.
type streamed struct {
	ev        streamEvent
	at, clock time.Time
}

// checkStream opens the test stream through the public URL and times its
// two events (see StreamHandler): a proxy that buffers responses delivers
// them together, or only at the end, which is what breaks MCP's
// Server-Sent Events.
func (r *run) checkStream(ctx context.Context) {
	res := r.result("sse")
	if res == nil {
		return
	}
	delay := r.opt.StreamDelay
	at := fmt.Sprintf("%s%s?delay=%d", r.reached, StreamPath, int(delay/time.Second))
	ctx, cancel := context.WithTimeout(ctx, delay+r.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, at, nil)
	if err != nil {
		res.skip(err.Error())
		return
	}
	// Clients accept compression; a proxy that compresses streams may
	// hold events back, which is what this measures.
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("User-Agent", "drawbridge-doctor")
	sent := time.Now()
	resp, err := r.c.hc.Do(req)
	if err != nil {
		res.problem("the test stream "+at+": "+describeNetError(err).Error(), "Check the proxy's route to Drawbridge.")
		return
	}
	defer resp.Body.Close()
	r.c.noteDate(resp.Header)
	if !r.streamAnswered(res, resp, at) {
		return
	}
	body, err := decoded(resp)
	if err != nil {
		res.problem("the test stream: "+err.Error(), "Let text/event-stream through uncompressed (or gzip-compressed, flushed per event).")
		return
	}
	events, err := readEvents(body, r.opt.Now)
	r.judgeStream(res, events, err, sent, delay)
}

// streamAnswered checks the status and type of the stream's answer.
func (r *run) streamAnswered(res *result, resp *http.Response, at string) bool {
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		res.warn("no test stream at "+at+" (404): the server is not a Drawbridge, or an older one",
			"Streaming through the proxies on the way was not checked. Drawbridge serves a test stream there; with another server, "+
				"make sure no proxy buffers text/event-stream.")
		return false
	case http.StatusServiceUnavailable:
		res.warn("the test stream is busy (503): other doctors are running", "Run the doctor again in a few seconds.")
		return false
	default:
		res.problem(fmt.Sprintf("the test stream %s answered %d", at, resp.StatusCode),
			"A proxy on the way refused or broke a streaming response: check its configuration for text/event-stream.")
		return false
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		res.problem("the test stream arrived as "+quote(resp.Header.Get("Content-Type")),
			"A proxy rewrote the stream's Content-Type: clients then do not read it as Server-Sent Events.")
		return false
	}
	return true
}

// decoded undoes a gzip Content-Encoding added on the way.
func decoded(resp *http.Response) (io.Reader, error) {
	switch enc := resp.Header.Get("Content-Encoding"); enc {
	case "", "identity":
		return resp.Body, nil
	case "gzip":
		return gzip.NewReader(resp.Body)
	default:
		return nil, fmt.Errorf("unexpected Content-Encoding %s", quote(enc))
	}
}

// readEvents reads the stream's events (HTML Living Standard, server-sent
// events: lines, a blank line ends an event), noting when each arrived,
// until the stream ends, two events have come, or a cap is reached.
func readEvents(body io.Reader, now func() time.Time) ([]streamed, error) {
	br := bufio.NewReaderSize(io.LimitReader(body, maxStreamBytes), maxStreamLine)
	var out []streamed
	var data []byte
	for len(out) < 2 {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return out, errors.New("a line of the stream is too long")
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return out, describeNetError(err)
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0 && data != nil:
			var ev streamEvent
			if err := json.Unmarshal(data, &ev); err != nil || ev.Seq != len(out)+1 {
				return out, fmt.Errorf("event %d is not the test stream's: %s", len(out)+1, quote(string(data)))
			}
			out = append(out, streamed{ev: ev, at: time.Now(), clock: now()})
			data = nil
		case bytes.HasPrefix(line, []byte("data:")):
			data = append(data, bytes.TrimPrefix(bytes.TrimPrefix(line, []byte("data:")), []byte(" "))...)
		}
	}
	return out, nil
}

// judgeStream decides whether the events were held back on the way.
func (r *run) judgeStream(res *result, events []streamed, err error, sent time.Time, delay time.Duration) {
	fix := "A proxy between here and Drawbridge buffers Server-Sent Events, so MCP responses and notifications arrive late or " +
		"all at once and clients time out. nginx: proxy_buffering off (Drawbridge sends X-Accel-Buffering: no; do not ignore it " +
		"with proxy_ignore_headers); gzip off for text/event-stream; cloud load balancers and CDNs: turn off response buffering for this host."
	if len(events) > 0 {
		r.gatewayTime = &dateSeen{date: events[0].ev.Time, local: events[0].clock}
	}
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	switch {
	case len(events) == 0:
		res.problem("no event of the test stream arrived: "+err.Error(), fix)
	case len(events) == 1:
		res.problem(fmt.Sprintf("the first event arrived after %s, the second never did: %v", ms(events[0].at.Sub(sent)), err), fix)
	default:
		gap := events[1].at.Sub(events[0].at)
		if gap < delay/buffering {
			res.problem(fmt.Sprintf("two events sent %s apart arrived %s apart, %s after the request: something on the way holds the stream back",
				delay, ms(gap), ms(events[1].at.Sub(sent))), fix)
			return
		}
		res.ok("two events sent %s apart arrived %s apart: nothing on the way buffers the stream", delay, ms(gap))
	}
}
