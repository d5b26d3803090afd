package audit

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Options configures a Recorder.
type Options struct {
	// Store keeps the sealed chain; nil records nothing durable.
	Store storage.AuditStore
	// Key seals new records.
	Key SealKey
	// Writers each get one JSON line per event (stdout, a file).
	Writers []io.Writer
	// Log reports write failures (never event contents).
	Log *slog.Logger
	// Now stamps events that have no time.
	Now func() time.Time
}

// Recorder takes events from request handlers and writes them in batches,
// so a request never waits for the audit store unless it is far behind.
// A nil *Recorder records nothing.
type Recorder struct {
	opt     Options
	events  chan Event
	done    chan struct{}
	closed  chan struct{} // closed by Close: stop retrying
	closing sync.Once
	dropped atomic.Int64
	mu      sync.Mutex // serialises writer output
}

const (
	queueSize  = 8192
	batchSize  = 256
	batchDelay = 50 * time.Millisecond
	// maxWait is how long Record blocks on a full queue before dropping:
	// an audit trail should slow requests rather than lose events, but a
	// dead store must not hang the gateway.
	maxWait = 2 * time.Second
	// A batch the store refused is tried again after firstRetry, then
	// at doubling intervals up to maxRetry, until it is stored.
	firstRetry = 100 * time.Millisecond
	maxRetry   = 5 * time.Second
)

// NewRecorder starts a recorder; Close flushes and stops it.
func NewRecorder(o Options) *Recorder {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Recorder{opt: o, events: make(chan Event, queueSize), done: make(chan struct{}), closed: make(chan struct{})}
	go r.run()
	return r
}

// Record queues an event.
func (r *Recorder) Record(e Event) {
	if r == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = r.opt.Now()
	}
	e.Time = e.Time.UTC()
	select {
	case r.events <- e:
		return
	default:
	}
	t := time.NewTimer(maxWait)
	defer t.Stop()
	select {
	case r.events <- e:
	case <-t.C:
		if n := r.dropped.Add(1); n == 1 || n%1000 == 0 {
			r.opt.Log.Error("audit queue full: events dropped", "dropped_total", n)
		}
	}
}

// Dropped counts events lost: to a full queue, or still unstored when the
// recorder closed.
func (r *Recorder) Dropped() int64 {
	if r == nil {
		return 0
	}
	return r.dropped.Load()
}

// Close writes everything queued and stops.
func (r *Recorder) Close() {
	if r == nil {
		return
	}
	r.closing.Do(func() { close(r.closed); close(r.events) })
	<-r.done
}

func (r *Recorder) run() {
	defer close(r.done)
	var batch []Event
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case e, ok := <-r.events:
			if !ok {
				r.flush(batch)
				return
			}
			if len(batch) == 0 {
				timer.Reset(batchDelay)
			}
			batch = append(batch, e)
			if len(batch) >= batchSize {
				r.flush(batch)
				batch = batch[:0]
			}
		case <-timer.C:
			r.flush(batch)
			batch = batch[:0]
		}
	}
}

// line is the JSON-lines form: the event, and its place in the chain when
// the store keeps one, so that an outside copy can anchor the chain.
type line struct {
	Event
	Seq  int64  `json:"seq,omitempty"`
	Seal string `json:"seal,omitempty"`
}

func (r *Recorder) flush(batch []Event) {
	if len(batch) == 0 {
		return
	}
	recs := make([]storage.AuditRecord, len(batch))
	// The payloads, one after another in one buffer: one allocation for
	// the batch, not one an event. Each is capped at its own end, so that
	// nothing appended to one can reach the next.
	payloads := make([]byte, 0, 512*len(batch))
	for i := range batch {
		e := &batch[i]
		start := len(payloads)
		payloads, _ = appendMarshalEvent(payloads, e) // plain fields: always marshals
		recs[i] = storage.AuditRecord{Time: e.Time, Type: e.Type, Subject: storage.CleanText(e.Subject),
			ClientID: storage.CleanText(e.ClientID), Server: e.Server, Name: storage.CleanText(e.Name),
			Payload: payloads[start:len(payloads):len(payloads)]}
	}
	if r.opt.Store != nil {
		r.store(recs)
	}
	if len(r.opt.Writers) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, e := range batch {
		l := line{Event: e, Seq: recs[i].Seq}
		if len(recs[i].Hash) > 0 {
			l.Seal = hex.EncodeToString(recs[i].Hash)
		}
		b, _ := marshalLine(&l)
		b = append(b, '\n')
		for _, w := range r.opt.Writers {
			if _, err := w.Write(b); err != nil {
				r.opt.Log.Error("audit line could not be written", "err", err)
			}
		}
	}
}

// store appends recs to the chain, retrying while the store fails: a
// database restart must not cost audit events. Meanwhile new events wait in
// the queue (and Record blocks, then drops, once it is full). A retry after
// an append that did commit but whose answer was lost stores the batch
// twice, which the chain shows; that is preferred to losing it. Once the
// recorder is closing, a batch gets one more try and is then counted as
// dropped.
func (r *Recorder) store(recs []storage.AuditRecord) {
	wait, closing := firstRetry, false
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := r.opt.Store.AppendAudit(ctx, recs, newSealer(r.opt.Key, len(recs)).seal)
		cancel()
		switch {
		case err == nil:
			if attempt > 1 {
				r.opt.Log.Info("audit records stored after retrying", "count", len(recs), "attempts", attempt)
			}
			return
		case closing:
			r.dropped.Add(int64(len(recs)))
			r.opt.Log.Error("audit records lost: the store failed until shutdown", "count", len(recs), "err", err)
			return
		case attempt == 1:
			r.opt.Log.Error("audit records could not be stored; retrying", "count", len(recs), "err", err)
		}
		select {
		case <-r.closed:
			closing = true // one last try, at once
		case <-time.After(wait):
		}
		wait = min(2*wait, maxRetry)
	}
}
