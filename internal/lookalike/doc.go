// Package lookalike says when two tool or prompt names could reach the
// same tool: a backend may match names more loosely than the gateway reads
// them (trimming white space, folding case, normalising Unicode), so a
// control that refuses one name must refuse its look-alikes too.
package lookalike
