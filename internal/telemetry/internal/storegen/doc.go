// Command storegen writes internal/telemetry/store_gen.go: one method of
// instrumentedStore per method of storage.Store, each timing the call into
// the store histogram under the method's name in snake case. It reads
// storage.Store from source, so it runs even when telemetry does not compile
// because Store has grown a method. Run it with go generate in
// internal/telemetry.
package main
