// Package requestid carries the id of the request being served, so that
// log lines and audit events of one request can be found together.
package requestid
