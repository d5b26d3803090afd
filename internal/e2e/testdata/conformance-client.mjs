// The command the MCP conformance suite runs as "the client" of its client
// scenarios (internal/e2e, conformance_client_test.go). The client under
// test is Drawbridge, which the Go test runs; this script only hands the
// scenario over: the MCP server URL the suite appends as the last argument
// and the scenario's MCP_CONFORMANCE_CONTEXT, posted to the test on
// loopback. It exits when the test has sent a call through Drawbridge to
// that server, with the test's verdict.
const handoff = process.env.DRAWBRIDGE_CONFORMANCE_HANDOFF;
if (!handoff) {
  console.error('DRAWBRIDGE_CONFORMANCE_HANDOFF is not set: run this through go test ./internal/e2e');
  process.exit(2);
}
const res = await fetch(handoff, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({
    server_url: process.argv[process.argv.length - 1],
    scenario: process.env.MCP_CONFORMANCE_SCENARIO ?? '',
    context: process.env.MCP_CONFORMANCE_CONTEXT ?? '',
  }),
});
const text = await res.text();
if (!res.ok) {
  console.error(text);
  process.exit(1);
}
console.log(text);
