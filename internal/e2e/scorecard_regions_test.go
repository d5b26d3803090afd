package e2e

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// regionMarker finds the generated regions' markers in docs/conformance.md.
var regionMarker = regexp.MustCompile(`(?m)^<!-- (/?)scorecard:([a-z0-9-]+) -->$`)

// spliceRegions replaces the text between each region's markers with its
// rendering and keeps everything else. Every region must appear exactly
// once, opened before it is closed, and no unknown one.
func spliceRegions(doc string, regions map[string]string) (string, error) {
	var out strings.Builder
	seen := map[string]bool{}
	pos := 0
	open := ""
	for _, m := range regionMarker.FindAllStringSubmatchIndex(doc, -1) {
		closing, name := doc[m[2]:m[3]] == "/", doc[m[4]:m[5]]
		switch {
		case !closing && open != "":
			return "", fmt.Errorf("region %s opens inside region %s", name, open)
		case !closing:
			if _, ok := regions[name]; !ok {
				return "", fmt.Errorf("unknown region %s", name)
			}
			if seen[name] {
				return "", fmt.Errorf("region %s appears twice", name)
			}
			seen[name], open = true, name
			out.WriteString(doc[pos:m[1]])
			out.WriteString("\n" + regions[name] + "\n")
		case name != open:
			return "", fmt.Errorf("region %s closes, but %q is open", name, open)
		default:
			open, pos = "", m[0]
		}
	}
	if open != "" {
		return "", fmt.Errorf("region %s is never closed", open)
	}
	out.WriteString(doc[pos:])
	var missing []string
	for name := range regions {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return "", fmt.Errorf("regions missing: %s (add <!-- scorecard:NAME --> and <!-- /scorecard:NAME --> lines)", strings.Join(missing, ", "))
	}
	return out.String(), nil
}
