package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const callBody = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_snippet","arguments":{"snippetname":"greeting"}}}`

// target is something to send tools/call requests to.
type target struct {
	name, url, token string
	gw               *proc // the Drawbridge serving it, if any
}

type result struct {
	requests, errors int64
	elapsed          time.Duration
	latencies        []time.Duration
}

func (r result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[int(p*float64(len(r.latencies)-1))]
}

func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, DisableCompression: true}}
}

func send(ctx context.Context, c *http.Client, t target) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, t.url, strings.NewReader(callBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// checkTarget makes sure a target answers with the backend's result, so
// that a refusal (a policy denial is a JSON-RPC error with status 200)
// cannot pass for a fast answer.
func checkTarget(ctx context.Context, t target) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, t.url, strings.NewReader(callBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK || !bytes.Equal(bytes.TrimSpace(body), toolResult) {
		return fmt.Errorf("%s: status %d, body %.200q: not the backend's answer", t.name, resp.StatusCode, body)
	}
	return nil
}

// saturate runs workers that each send the next request as soon as the
// last one is answered.
func saturate(ctx context.Context, t target, workers int, d time.Duration) result {
	c := newClient(workers)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var res result
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var n, bad int64
			for ctx.Err() == nil {
				t0 := time.Now()
				ok := send(ctx, c, t)
				if ctx.Err() != nil {
					break
				}
				lat = append(lat, time.Since(t0))
				n++
				if !ok {
					bad++
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			res.requests += n
			res.errors += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.latencies)
	return res
}

// fixedRate sends rate requests per second regardless of how fast they
// are answered (open loop), and measures each latency from the moment it
// was due, so a stall shows up in the percentiles instead of hiding.
func fixedRate(ctx context.Context, t target, rate int, d time.Duration) result {
	c := newClient(512)
	interval := time.Second / time.Duration(rate)
	total := int(d / interval)
	lat := make([]time.Duration, total)
	var errs atomic.Int64
	sem := make(chan struct{}, 2048)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range total {
		due := start.Add(time.Duration(i) * interval)
		if w := time.Until(due); w > 0 {
			time.Sleep(w)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !send(ctx, c, t) {
				errs.Add(1)
			}
			lat[i] = time.Since(due)
			<-sem
		}()
	}
	wg.Wait()
	res := result{requests: int64(total), errors: errs.Load(), elapsed: time.Since(start), latencies: lat}
	slices.Sort(res.latencies)
	return res
}
