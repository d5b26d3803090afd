package console

import (
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/webpage"
)

// view is what every page shows; Data is the page's own part.
type view struct {
	Title string
	// Section names the navigation entry of this page.
	Section string
	User    string
	Admin   bool
	CSRF    string
	// Notice reports what the last action did; Message and Detail are an
	// error page's.
	Notice, Message, Detail string
	Data                    any
}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"join": strings.Join,
}

// parsePages makes one template per page: the layout plus the page's file.
func parsePages() (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimPrefix(n, "templates/")
		if base == "layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, err
		}
		pages[base] = t
	}
	return pages, nil
}

// render writes a page with webpage's headers. The page learns who is
// signed in from the request.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	if s := current(r.Context()); s != nil {
		v.User, v.Admin, v.CSRF = userLabel(s), s.admin, s.csrf
	}
	webpage.SetHeaders(w.Header())
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if err := c.pages[page].ExecuteTemplate(w, "layout.html", v); err != nil {
		c.opt.Log.Error("console: rendering", "page", page, "err", err)
	}
}

// errorPage tells a person what went wrong, in words, never with internal
// detail.
func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, status int, message, detail string) {
	c.render(w, r, status, "error.html", &view{Title: http.StatusText(status), Message: message, Detail: detail})
}

func userLabel(s *session) string {
	id := s.Identity
	switch {
	case id.Name != "" && id.Email != "":
		return id.Name + " (" + id.Email + ")"
	case id.Email != "":
		return id.Email
	case id.Name != "":
		return id.Name
	}
	return id.Subject
}
