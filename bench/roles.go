package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The backend answers every tools/call at once with a fixed result, so that
// the measurement is of whatever sits in front of it. A request whose body
// asks for bench/stream gets an SSE stream that stays open, idle, until
// the client goes away.
var toolResult = []byte(`{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hello, drawbridge"}]}}`)

func runBackend(ctx context.Context, addr string) error {
	bufs := sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bp := bufs.Get().(*[]byte)
		n, _ := io.ReadFull(r.Body, *bp)
		stream := strings.Contains(string((*bp)[:n]), `"bench/stream"`)
		bufs.Put(bp)
		_, _ = io.Copy(io.Discard, r.Body)
		if stream {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(toolResult)
	})
	return serveRole(ctx, addr, h)
}

func runBareProxy(ctx context.Context, addr, upstream string) error {
	up, err := url.Parse(upstream)
	if err != nil {
		return err
	}
	// The same connection pooling as Drawbridge's backend transport: the
	// default (2 idle connections per host) would make the baseline pay
	// for new connections and look slower than it is.
	rp := &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(up); pr.Out.URL.Path = up.Path },
		FlushInterval: -1,
		Transport:     &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second, DisableCompression: true},
		ErrorLog:      log.New(io.Discard, "", 0),
	}
	return serveRole(ctx, addr, rp)
}

// serveRole prints the bound address on stdout (the driver reads it) and
// serves until ctx ends, over HTTP/1.1 and h2c (HTTP/2 with prior
// knowledge: the gateway's backend_http2, the stream phase's rows).
func serveRole(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	srv := &http.Server{Handler: h, Protocols: new(http.Protocols)}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
