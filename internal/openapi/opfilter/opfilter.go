// Package opfilter picks the operations of an OpenAPI document that a
// server serves (include and exclude lists). It has no dependencies, so
// that configuration validation can check the lists' syntax.
package opfilter

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

// Op is what a filter entry is matched against.
type Op struct {
	ID, Path string
	Tags     []string
}

func entryMatches(e string, op Op) bool {
	kind, v := splitEntry(e)
	switch kind {
	case "tag":
		return slices.Contains(op.Tags, v)
	case "path":
		ok, _ := path.Match(v, op.Path)
		return ok
	}
	return op.ID == v
}

// AnyMatches says whether an entry of the list matches op.
func AnyMatches(entries []string, op Op) bool {
	return slices.ContainsFunc(entries, func(e string) bool { return entryMatches(e, op) })
}

// Wants says whether the filter takes op.
func (f Filter) Wants(op Op) bool {
	if len(f.Include) > 0 && !AnyMatches(f.Include, op) {
		return false
	}
	return !AnyMatches(f.Exclude, op)
}

// Unmatched reports the entries that match no operation of the document:
// an operationId that is not there is a typo the operator should see.
func (f Filter) Unmatched(ops []Op) error {
	var errs []error
	for _, list := range [][]string{f.Include, f.Exclude} {
		for _, e := range list {
			if !slices.ContainsFunc(ops, func(op Op) bool { return entryMatches(e, op) }) {
				errs = append(errs, fmt.Errorf("%q matches no operation of the document", e))
			}
		}
	}
	return errors.Join(errs...)
}
