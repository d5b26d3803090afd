// Package browser plays the part of a person's web browser in end-to-end
// tests of the authorization flow: it keeps cookies, follows redirects,
// reads the HTML forms Drawbridge serves and submits them as a browser
// would. It stops when a redirect leaves for the client's redirect URI and
// returns that URL, which is what an MCP client's local callback receives.
//
// Real-browser tests (Chromium) cover rendering; this covers protocol.
package browser
