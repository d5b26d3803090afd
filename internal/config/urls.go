package config

import "strings"

// Issuer is the authorization server's issuer identifier: the public URL
// without a trailing slash, byte-identical wherever it appears (RFC 8414 §2).
func (c *Config) Issuer() string { return strings.TrimSuffix(c.PublicURL, "/") }

// URL joins a path to the public URL.
func (c *Config) URL(path string) string { return c.Issuer() + path }

// ResourceURL is the canonical resource identifier of a server: the exact
// public URL of its MCP endpoint (RFC 8707, RFC 9728 §2).
func (c *Config) ResourceURL(s *Backend) string { return c.Issuer() + s.Path }

// ResourceMetadataURL is where the server's protected resource metadata is
// served: the well-known suffix inserted before the path (RFC 9728 §3.1).
func (c *Config) ResourceMetadataURL(s *Backend) string {
	return c.Issuer() + "/.well-known/oauth-protected-resource" + s.Path
}
