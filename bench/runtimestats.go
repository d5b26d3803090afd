package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// runtimeStats are the Go runtime's figures that explain a process's
// resident memory, from its Prometheus endpoint (the Go collector).
type runtimeStats struct {
	goroutines, stacks, heapInuse, heapGoal float64
}

// readRuntimeStats scrapes them from Drawbridge's metrics listener.
func readRuntimeStats(ctx context.Context, metricsAddr string) (runtimeStats, error) {
	var s runtimeStats
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+metricsAddr+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	fields := map[string]*float64{
		"go_goroutines":                 &s.goroutines,
		"go_memstats_stack_inuse_bytes": &s.stacks,
		"go_memstats_heap_inuse_bytes":  &s.heapInuse,
		"go_memstats_next_gc_bytes":     &s.heapGoal,
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if p := fields[name]; ok && p != nil {
			*p, _ = strconv.ParseFloat(v, 64)
		}
	}
	return s, sc.Err()
}

// perStream is what each of n streams adds, from before to after, in
// goroutines and KiB.
func (after runtimeStats) perStream(before runtimeStats, n int) string {
	if n == 0 {
		return "—"
	}
	d := func(a, b float64) float64 { return (a - b) / float64(n) }
	return fmt.Sprintf("%.2f goroutines, stacks %.1f KiB, heap in use %.1f KiB, heap goal %.1f KiB",
		d(after.goroutines, before.goroutines), d(after.stacks, before.stacks)/1024,
		d(after.heapInuse, before.heapInuse)/1024, d(after.heapGoal, before.heapGoal)/1024)
}
