package server

import (
	"errors"
	"fmt"
)

// cleanup closes what the assembly opened, the last opened first, so that
// each part closes before what it uses: the last-use tracker writes to
// the store before it closes, the audit recorder writes to its file before
// the file closes. New runs it when a stage fails, Close when the server
// stops.
type cleanup struct {
	steps []closeStep
}

type closeStep struct {
	name  string
	close func() error
}

// add notes something opened, and how to close it.
func (c *cleanup) add(name string, close func() error) {
	c.steps = append(c.steps, closeStep{name, close})
}

// close runs every step, even after one fails, and returns every error.
// The steps run once: a second call does nothing.
func (c *cleanup) close() error {
	var errs []error
	for i := len(c.steps) - 1; i >= 0; i-- {
		if err := c.steps[i].close(); err != nil {
			errs = append(errs, fmt.Errorf("closing %s: %w", c.steps[i].name, err))
		}
	}
	c.steps = nil
	return errors.Join(errs...)
}

// names lists the steps in the order close runs them (tests).
func (c *cleanup) names() []string {
	var out []string
	for i := len(c.steps) - 1; i >= 0; i-- {
		out = append(out, c.steps[i].name)
	}
	return out
}
