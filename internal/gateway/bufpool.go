package gateway

import "sync"

// bufferPool recycles the proxy's copy buffers; without one, ReverseProxy
// allocates 32 KiB for every response it copies.
//
// A buffer stays with its response until the response ends, so an idle
// SSE stream holds one for as long as it is open: at 16 KiB, half the
// usual size, large bodies still move in few reads (and HTTP/2 frames
// are 16 KiB anyway) while ten thousand streams hold 160 MiB less.
type bufferPool struct{ p sync.Pool }

const copyBufferSize = 16 << 10

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}}
}

func (bp *bufferPool) Get() []byte { return *bp.p.Get().(*[]byte) }

func (bp *bufferPool) Put(b []byte) {
	if cap(b) == copyBufferSize {
		b = b[:cap(b)]
		bp.p.Put(&b)
	}
}

var sharedBuffers = newBufferPool()

// streamBuffers recycle the copy buffers of streams.
var streamBuffers = sharedBuffers
