// Command bench measures Drawbridge against its baselines in one run:
//
//	go run ./bench
//
// It starts three processes besides itself: a zero-latency MCP backend, a
// bare httputil.ReverseProxy in front of it, and the real drawbridge binary
// (built from this checkout) with token verification on. It then drives
// tools/call requests at each target at saturation and at a fixed rate, and
// finally holds many idle SSE streams open through Drawbridge to measure
// how many one process keeps and what each costs in memory. Results print
// as Markdown; docs/benchmarks.md records a run.
package main
