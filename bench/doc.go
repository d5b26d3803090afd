// Command bench measures Drawbridge against its baselines in one run:
//
//	go run ./bench
//
// It starts, besides itself: a zero-latency MCP backend; a bare
// httputil.ReverseProxy in front of it; Caddy's reverse_proxy in front of
// it (a pinned Caddy, built with go install; the row is skipped, with the
// reason, where that cannot be done); and the real drawbridge binary (built
// from this checkout) twice, without and with the audit trail. It drives
// tools/call requests at each target at saturation and at a fixed rate,
// with each Drawbridge configuration's throughput as a ratio of the bare
// proxy's and Caddy's and its p99's excess over the bare proxy's; holds
// many idle SSE streams open through Drawbridge to measure what each costs
// in memory; runs complete authorizations (authorize, sign in, consent,
// code → token) and refreshes against the authorization server on SQLite
// and, when DRAWBRIDGE_TEST_POSTGRES is set, PostgreSQL, with tools/call
// at a fixed rate through the same gateway alone and during the sign-ins;
// and prints
// BenchmarkProxy's allocations per request. Results print as Markdown;
// docs/benchmarks.md records runs.
package main
