package gateway

import "sync"

// bufferPool recycles the proxy's copy buffers; without one, ReverseProxy
// allocates 32 KiB for every response it copies.
type bufferPool struct{ p sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}
}

func (bp *bufferPool) Get() []byte { return *bp.p.Get().(*[]byte) }

func (bp *bufferPool) Put(b []byte) {
	if cap(b) == 32<<10 {
		b = b[:cap(b)]
		bp.p.Put(&b)
	}
}

var sharedBuffers = newBufferPool()
