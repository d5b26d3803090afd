package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/timeline"
)

// timelineData is the connection timeline page of one client.
type timelineData struct {
	Client   clientInfo
	Timeline timeline.Timeline
	// Days is how far back the page looks.
	Days int
}

// timelinePage shows a client's recent authorization attempts, step by
// step (package timeline). The client is named by ?id=, any client_id,
// since a metadata-document client is in no list.
func (c *Console) timelinePage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if id == "" || len(id) > 512 {
		c.errorPage(w, r, http.StatusBadRequest, "Choose a client from the list, or give its client_id.", "")
		return
	}
	info, err := c.client(r.Context(), id)
	if err != nil {
		c.failed(w, r, "client", err)
		return
	}
	tc, err := c.timelineClient(r, id)
	if err != nil {
		c.failed(w, r, "client", err)
		return
	}
	tl, err := c.opt.Admin.ClientTimeline(r.Context(), tc)
	if err != nil {
		c.failed(w, r, "timeline", err)
		return
	}
	if info.Missing && isURL(id) { // a metadata-document client is not stored, not deleted
		info = clientInfo{ID: id, Name: "A metadata-document client", SelfAsserted: true, Kind: "CIMD", KindLong: "Client ID metadata document", Publisher: hostOf(id)}
	}
	c.render(w, r, http.StatusOK, "timeline.html", &view{Title: "Connection timeline", Section: "clients",
		Data: timelineData{Client: info, Timeline: tl, Days: int(admin.TimelineWindow.Hours() / 24)}})
}

// timelineClient is what recognising the client's family needs: a
// configured client from the configuration, any other from the store.
func (c *Console) timelineClient(r *http.Request, id string) (timeline.Client, error) {
	if cl, ok := c.clients[id]; ok {
		return timeline.ClientOf(cl), nil
	}
	return c.opt.Admin.TimelineClient(r.Context(), id)
}

func isURL(id string) bool { return strings.HasPrefix(id, "https://") }

func hostOf(id string) string {
	if u, err := url.Parse(id); err == nil {
		return u.Host
	}
	return ""
}
