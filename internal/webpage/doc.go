// Package webpage holds what every HTML page Drawbridge serves has in
// common, whichever package renders it (the sign-in and consent pages of the
// authorization server, the web console): the security headers.
package webpage
