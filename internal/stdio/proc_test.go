package stdio

import (
	"log/slog"
	"os"
	"strings"
	"testing"
)

// A child cannot make the gateway buffer a stderr line without bound: a
// long line is logged cut, and the next line is logged whole.
func TestStderrLinesAreBounded(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &logRecorder{}
	p := &proc{log: slog.New(logs), stderr: r}
	p.all.Add(1)
	p.readers.Add(1)
	go p.readStderr()
	go func() {
		_, _ = w.WriteString(strings.Repeat("x", 3*stderrLine) + "\nnext line\r\n")
		_ = w.Close()
	}()
	p.all.Wait()
	_ = r.Close()
	recs := logs.find(func(r logRecord) bool { return r.Msg == "mcp server stderr" })
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2: %+v", len(recs), recs)
	}
	if got := recs[0].Attrs["line"]; len(got) != stderrLine || recs[0].Attrs["truncated"] != "true" {
		t.Errorf("long line logged as %d bytes, truncated=%s", len(got), recs[0].Attrs["truncated"])
	}
	if got := recs[1].Attrs["line"]; got != "next line" || recs[1].Level != slog.LevelInfo {
		t.Errorf("second line %q at %v", got, recs[1].Level)
	}
}
