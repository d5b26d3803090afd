package config

import (
	"reflect"
	"regexp"
	"strings"
)

// suggestKey names the key an unknown one at place was probably meant to
// be: " (did you mean upstream?)", or "" when none is close.
func suggestKey(place string) string {
	parts := placeParts.FindAllString(place, -1)
	if len(parts) == 0 {
		return ""
	}
	t := reflect.TypeOf(Config{})
	for _, p := range parts[:len(parts)-1] {
		if t = step(t, p); t == nil {
			return ""
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return ""
	}
	unknown := parts[len(parts)-1]
	best, bestD := "", 3 // at most two edits away
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if d := editDistance(unknown, name); name != "" && d < bestD && d < len(name) {
			best, bestD = name, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

// placeParts splits servers[0].auth.mode into servers, [0], auth, mode.
var placeParts = regexp.MustCompile(`\[[0-9]+\]|[^.\[\]]+`)

// step is the type reached from t by one part of a place.
func step(t reflect.Type, part string) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case strings.HasPrefix(part, "["):
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			return t.Elem()
		}
	case t.Kind() == reflect.Map:
		return t.Elem()
	case t.Kind() == reflect.Struct:
		for i := range t.NumField() {
			if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name == part {
				return t.Field(i).Type
			}
		}
	}
	return nil
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
