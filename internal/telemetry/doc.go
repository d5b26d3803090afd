// Package telemetry exposes Drawbridge's Prometheus metrics and sets up
// OpenTelemetry tracing.
//
// Metrics are fed from the same events as the audit trail (Metrics is an
// audit.Emitter), plus a few gauges and timings that have no event: open
// streams, backend errors, store latency. Labels are bounded: never a user
// or client id, and tool names only up to a fixed number per server.
//
// InstrumentStore times every storage operation. Its decorator's methods,
// one per method of storage.Store, are generated into store_gen.go by
// internal/storegen (go generate), which reads the interface from source;
// a test there fails when the file is stale, and one here when a Store
// method goes untimed.
package telemetry
