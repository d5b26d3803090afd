// Package gwtest runs a complete Drawbridge on loopback for end-to-end
// tests: the real server wiring, SQLite in a temporary directory, local
// users (or any identity section), and the snippets sample server behind it
// with a recorder of the headers that reach it. It also has a hand-driven
// OAuth client (Client) for the requests a well-behaved SDK never makes.
package gwtest
