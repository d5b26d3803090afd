// Package inproc serves HTTP requests with an http.Handler in the same
// process, behind an http.RoundTripper: a composed server reaches its
// in-process members (a stdio bridge, an OpenAPI server) with the same
// http.Client code it uses for remote ones. Responses stream: the caller
// gets the response as soon as the handler has written its header, and
// reads each write as it is made (Server-Sent Events included).
package inproc
