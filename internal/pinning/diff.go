package pinning

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Row is one line of a side-by-side comparison of two definitions.
type Row struct {
	// Old and New are the line on each side; empty where a side has none.
	Old, New string
	// Op is ' ' for a line both have, '-' for one only the old has, '+'
	// for one only the new has, and '~' for a line changed in place (one
	// removed beside one added).
	Op byte
}

// maxDiffLines bounds the comparison (it takes time in the product of the
// two lengths); beyond it, the two sides are shown whole, all changed.
const maxDiffLines = 2000

// Diff compares two definitions (JSON, as stored) line by line, pretty
// printed, for an administrator to see what changed. old may be empty: a
// new tool has nothing to compare with.
func Diff(old, new []byte) []Row {
	a, b := lines(old), lines(new)
	if len(a)*len(b) > maxDiffLines*maxDiffLines/4 || len(a) > maxDiffLines || len(b) > maxDiffLines {
		return pair(a, b)
	}
	// lcs[i][j] is the length of the longest common subsequence of a[i:]
	// and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var rows []Row
	var gone, came []string
	flush := func() {
		rows = append(rows, pair(gone, came)...)
		gone, came = nil, nil
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			flush()
			rows = append(rows, Row{Old: a[i], New: b[j], Op: ' '})
			i, j = i+1, j+1
		case j == len(b) || (i < len(a) && lcs[i+1][j] >= lcs[i][j+1]):
			gone = append(gone, a[i])
			i++
		default:
			came = append(came, b[j])
			j++
		}
	}
	flush()
	return rows
}

// pair lines up a run of removed lines beside a run of added ones.
func pair(gone, came []string) []Row {
	var rows []Row
	for k := 0; k < max(len(gone), len(came)); k++ {
		r := Row{Op: '~'}
		switch {
		case k >= len(gone):
			r.New, r.Op = came[k], '+'
		case k >= len(came):
			r.Old, r.Op = gone[k], '-'
		default:
			r.Old, r.New = gone[k], came[k]
		}
		rows = append(rows, r)
	}
	return rows
}

// lines pretty-prints a definition and splits it into lines; text that is
// not JSON is split as it is.
func lines(def []byte) []string {
	if len(bytes.TrimSpace(def)) == 0 {
		return nil
	}
	var b bytes.Buffer
	if json.Indent(&b, def, "", "  ") != nil {
		b.Reset()
		b.Write(def)
	}
	return strings.Split(b.String(), "\n")
}
