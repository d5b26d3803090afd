package openapi

import (
	"strings"
)

// maxToolName is the longest tool name MCP allows (2025-11-25 "Tool
// Names": 1 to 128 characters of A-Z, a-z, 0-9, _, - and .).
const maxToolName = 128

// toolName is the tool's name: the operationId, or the method and path
// when there is none, sanitised to MCP's tool-name rules. The same
// operation always gets the same name.
func toolName(method, path, operationID string) string {
	src := operationID
	if src == "" {
		src = strings.ToLower(method) + "_" + strings.Trim(path, "/")
	}
	return sanitise(src)
}

// sanitise replaces every character MCP does not allow in a tool name
// with _, squeezes runs of _ from replacements and truncates.
func sanitise(s string) string {
	var b strings.Builder
	lastReplaced := false
	for _, r := range s {
		if allowedNameRune(r) {
			b.WriteRune(r)
			lastReplaced = false
			continue
		}
		if !lastReplaced {
			b.WriteByte('_')
		}
		lastReplaced = true
	}
	out := strings.Trim(b.String(), "_")
	if out == "" {
		out = "operation"
	}
	if len(out) > maxToolName {
		out = out[:maxToolName]
	}
	return out
}

func allowedNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.'
}
