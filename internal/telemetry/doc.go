// Package telemetry exposes Drawbridge's Prometheus metrics and sets up
// OpenTelemetry tracing.
//
// Metrics are fed from the same events as the audit trail (Metrics is an
// audit.Emitter), plus a few gauges and timings that have no event: open
// streams, backend errors, store latency. Labels are bounded: never a user
// or client id, and tool names only up to a fixed number per server.
package telemetry
