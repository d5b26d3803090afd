// Package config reads Drawbridge's YAML configuration.
//
// Loading happens in steps: the YAML is decoded strictly (an unknown key is
// an error, because a typo in a security setting must not be silently
// ignored; decode.go goes on past each one so that all are reported, with
// their lines), ${NAME} references in string values are replaced from the
// environment, defaults are applied, and Validate reports every problem at
// once so that an operator fixes a file in one pass.
//
// The doc comment of each field is its user documentation; docs/configuration.md
// is written from them.
package config
