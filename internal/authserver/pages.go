package authserver

import (
	"embed"
	"html/template"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/webpage"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/*
var staticFS embed.FS

type pages struct{ t *template.Template }

func newPages() (*pages, error) {
	t, err := template.ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &pages{t: t}, nil
}

// render writes a page with the headers every page gets (webpage.SetHeaders:
// no caching, no framing, a CSP that loads nothing from elsewhere).
// formTargets are extra origins a form on the page may end up at: the
// client's redirect URI, because CSP form-action also applies to the
// redirect that follows a POST.
func (p *pages) render(w http.ResponseWriter, status int, name string, data any, formTargets ...string) {
	webpage.SetHeaders(w.Header(), formTargets...)
	w.WriteHeader(status)
	_ = p.t.ExecuteTemplate(w, name, data)
}

type errorPage struct {
	Title, Message, Detail string
}

// errorPage tells a person what went wrong when there is no client to
// redirect to safely (RFC 6749 §4.1.2.1: never redirect to an unverified URI).
func (s *Server) errorPage(w http.ResponseWriter, status int, message, detail string) {
	s.pages.render(w, status, "error.html", errorPage{Title: "Something went wrong", Message: message, Detail: detail})
}
