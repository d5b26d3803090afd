// Package replicas tests Drawbridge as it is deployed for scale and
// availability: several real drawbridge processes, built from this
// checkout, sharing one PostgreSQL database and one Redis behind a real load
// balancer (HAProxy or nginx from Debian's packages, configured as
// docs/deploy.md says), round robin with no stickiness. The tests show that
// an OAuth flow and MCP sessions survive their requests landing on
// different replicas, that a key rotated on one replica is accepted by all,
// that rate limits are global, and that nothing is lost when replicas are
// killed with SIGKILL, restarted, or the database restarts under load.
//
// The tests skip, saying why, when the load balancer, PostgreSQL or Redis
// is missing; scripts/test-all installs and starts all three.
package replicas
