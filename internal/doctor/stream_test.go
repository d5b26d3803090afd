package doctor

import (
	"strings"
	"testing"
	"time"
)

func TestReadEvents(t *testing.T) {
	in := ": comment\r\nevent: doctor\r\nid: 1\r\ndata: {\"seq\":1,\"time\":\"2026-07-28T12:00:00Z\"}\r\n\r\n" +
		"data:{\"seq\":2,\"time\":\"2026-07-28T12:00:02Z\"}\n\nnever read"
	evs, err := readEvents(strings.NewReader(in), time.Now)
	if err != nil || len(evs) != 2 || evs[1].ev.Time != time.Date(2026, 7, 28, 12, 0, 2, 0, time.UTC) {
		t.Fatalf("%+v %v", evs, err)
	}
	for _, bad := range []string{"", "data: {\"seq\":1}\n", "data: {\"seq\":2}\n\n", "data: {\"seq\":1,\"seq\":1}\n\n",
		"data: " + strings.Repeat("x", maxStreamLine) + "\n\n"} {
		if evs, err := readEvents(strings.NewReader(bad), time.Now); err == nil || len(evs) > 0 {
			t.Errorf("%.40q: %+v %v", bad, evs, err)
		}
	}
}

func FuzzReadEvents(f *testing.F) {
	f.Add("event: doctor\nid: 1\ndata: {\"seq\":1,\"time\":\"2026-07-28T12:00:00Z\"}\n\ndata: {\"seq\":2}\n\n")
	f.Add("data: x\r\n\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		evs, err := readEvents(strings.NewReader(s), time.Now)
		if len(evs) > 2 || (err == nil) != (len(evs) == 2) {
			t.Fatalf("%d events, %v", len(evs), err)
		}
		for i, e := range evs {
			if e.ev.Seq != i+1 {
				t.Fatalf("event %d has seq %d", i, e.ev.Seq)
			}
		}
	})
}
