package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

type streamResult struct {
	opened    int
	failed    int
	rssBefore int64
	rssAfter  int64
	// With profiling: the runtime's figures before, while the streams
	// are held, and after a forced collection (the heap profile's).
	rtBefore, rtHeld, rtCollected runtimeStats
}

func (s streamResult) perStream() int64 {
	if s.opened == 0 {
		return 0
	}
	return (s.rssAfter - s.rssBefore) / int64(s.opened)
}

// holdStreams opens n SSE streams through t, waits for each one's first
// event, measures the gateway's memory, and closes them. Over HTTP/1.1
// each stream has its own connection; over h2c (HTTP/2 with prior
// knowledge, as a front proxy speaks it) they share a few.
// With heap set, a heap profile of the gateway holding them is written
// there.
func holdStreams(ctx context.Context, t target, n int, h2c bool, heap string) (streamResult, error) {
	var res streamResult
	var err error
	pid := t.gw.cmd.Process.Pid
	if res.rssBefore, err = rssBytes(pid); err != nil {
		return res, err
	}
	if heap != "" {
		if res.rtBefore, err = readRuntimeStats(ctx, t.gw.metrics); err != nil {
			return res, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tr := &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: 1, DisableCompression: true}
	if h2c {
		tr.Protocols = new(http.Protocols)
		tr.Protocols.SetUnencryptedHTTP2(true)
	}
	c := &http.Client{Transport: tr}
	body := `{"jsonrpc":"2.0","id":1,"method":"bench/stream","params":{}}`
	ready := make(chan bool, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256) // open at a steady pace, not all at once
	for range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, t.url, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set("Authorization", "Bearer "+t.token)
			resp, err := c.Do(req)
			<-sem
			if err != nil {
				ready <- false
				return
			}
			defer resp.Body.Close()
			line, err := bufio.NewReader(resp.Body).ReadString('\n')
			ready <- err == nil && strings.HasPrefix(line, "event: message")
			<-ctx.Done()
		}()
	}
	deadline := time.After(5 * time.Minute)
	for range n {
		select {
		case ok := <-ready:
			if ok {
				res.opened++
			} else {
				res.failed++
			}
		case <-deadline:
			return res, fmt.Errorf("streams did not open in time (%d open)", res.opened)
		}
	}
	time.Sleep(2 * time.Second) // let the gateway's memory settle before reading it
	res.rssAfter, err = rssBytes(pid)
	if heap != "" && err == nil {
		err = profileHeld(ctx, t.gw.metrics, heap, &res)
	}
	cancel()
	wg.Wait()
	return res, err
}

// profileHeld reads the runtime's figures, then writes the heap profile
// (after a collection) and the goroutine profile, then reads the figures
// again.
func profileHeld(ctx context.Context, metricsAddr, heap string, res *streamResult) error {
	var err error
	if res.rtHeld, err = readRuntimeStats(ctx, metricsAddr); err != nil {
		return err
	}
	base := "http://" + metricsAddr + "/debug/pprof/"
	if err := fetchProfile(ctx, base+"heap?gc=1", heap); err != nil {
		return err
	}
	if err := fetchProfile(ctx, base+"goroutine", heap+".goroutine"); err != nil {
		return err
	}
	res.rtCollected, err = readRuntimeStats(ctx, metricsAddr)
	return err
}
