package gateway

import (
	"sync"
	"unsafe"
)

// bufferPool recycles the forwarder's copy buffers of one size; without
// one, every response copied would allocate its own. The pool holds a
// pointer to each buffer's first byte: putting a slice in a sync.Pool
// would allocate a box for its header on every Put.
type bufferPool struct {
	size int
	p    sync.Pool
}

func newBufferPool(size int) *bufferPool {
	bp := &bufferPool{size: size}
	bp.p.New = func() any { return unsafe.SliceData(make([]byte, size)) }
	return bp
}

func (bp *bufferPool) Get() []byte { return unsafe.Slice(bp.p.Get().(*byte), bp.size) }

// Put takes back a buffer Get handed out; anything else is dropped.
func (bp *bufferPool) Put(b []byte) {
	if cap(b) == bp.size {
		bp.p.Put(unsafe.SliceData(b))
	}
}

// Buffer sizes. A finite answer is copied through a 16 KiB buffer (large
// bodies move in few reads, and HTTP/2 frames are 16 KiB anyway) that
// goes back to the pool when the answer ends.
//
// A stream keeps its buffer for as long as it is open, mostly waiting:
// ten thousand idle streams would hold 160 MiB in 16 KiB buffers. So a
// stream waits with a small one and borrows a large one only while the
// backend sends faster than the small one empties (a read fills it),
// giving it back at the first read that does not (copier). The small one
// is small indeed: what a read puts in it is written and flushed at once
// (a read must never wait holding bytes), so an event larger than it
// leaves in two writes, the rest of it read into the large buffer; a
// small notification (a progress report, list_changed) fits. 256 bytes,
// not 2 KiB, is about 1.75 KiB less on every idle stream (issue #17).
const (
	copyBufferSize   = 16 << 10
	streamBufferSize = 256
)

var (
	sharedBuffers = newBufferPool(copyBufferSize)
	streamBuffers = newBufferPool(streamBufferSize)
)
