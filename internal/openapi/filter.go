package openapi

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Filter picks operations. Each entry is an operationId, "tag:NAME" or
// "path:GLOB" (path.Match syntax against the path template, so * matches
// one segment: path:/pet/*). An empty Include takes every operation;
// Exclude wins over Include.
type Filter struct {
	Include []string
	Exclude []string
}

// CheckFilterSyntax reports malformed entries without a document, for
// configuration validation.
func CheckFilterSyntax(entries []string) error {
	var errs []error
	for _, e := range entries {
		kind, v := splitEntry(e)
		switch {
		case v == "":
			errs = append(errs, fmt.Errorf("%q: empty %s", e, kind))
		case kind == "path":
			if _, err := path.Match(v, "/"); err != nil {
				errs = append(errs, fmt.Errorf("%q: %w", e, err))
			}
		}
	}
	return errors.Join(errs...)
}

func splitEntry(e string) (kind, value string) {
	if v, ok := strings.CutPrefix(e, "tag:"); ok {
		return "tag", v
	}
	if v, ok := strings.CutPrefix(e, "path:"); ok {
		return "path", v
	}
	return "operationId", e
}

// opRef is what a filter entry is matched against.
type opRef struct {
	id, path string
	tags     []string
}

func entryMatches(e string, op opRef) bool {
	kind, v := splitEntry(e)
	switch kind {
	case "tag":
		return slices.Contains(op.tags, v)
	case "path":
		ok, _ := path.Match(v, op.path)
		return ok
	}
	return op.id == v
}

func anyMatches(entries []string, op opRef) bool {
	return slices.ContainsFunc(entries, func(e string) bool { return entryMatches(e, op) })
}

// wants says whether the filter takes op.
func (f Filter) wants(op opRef) bool {
	if len(f.Include) > 0 && !anyMatches(f.Include, op) {
		return false
	}
	return !anyMatches(f.Exclude, op)
}

// unmatched reports the entries that match no operation of the document:
// an operationId that is not there is a typo the operator should see.
func (f Filter) unmatched(ops []opRef) error {
	var errs []error
	for _, list := range [][]string{f.Include, f.Exclude} {
		for _, e := range list {
			if !slices.ContainsFunc(ops, func(op opRef) bool { return entryMatches(e, op) }) {
				errs = append(errs, fmt.Errorf("%q matches no operation of the document", e))
			}
		}
	}
	return errors.Join(errs...)
}
