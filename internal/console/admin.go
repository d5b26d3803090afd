package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/requestid"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// The administrators' pages. Reading is GET; every change is a POST form
// that goes through admin.API's actions (the same code as the JSON API)
// and then redirects back with a notice.

func (c *Console) actor(r *http.Request) admin.Actor {
	return admin.Actor{Subject: current(r.Context()).Identity.Subject, ClientID: ClientID, Remote: clientaddr.String(r),
		RequestID: requestid.From(r.Context())}
}

// failed answers an error of an admin action: a missing object is the
// person's mistake (404), anything else the server's (500, detail logged).
func (c *Console) failed(w http.ResponseWriter, r *http.Request, what string, err error) {
	if errors.Is(err, storage.ErrNotFound) {
		c.errorPage(w, r, http.StatusNotFound, "There is no such "+what+"; it may have been removed already. Nothing was changed.", "")
		return
	}
	c.opt.Log.Error("console: admin action", "what", what, "err", err)
	c.errorPage(w, r, http.StatusInternalServerError, "The "+what+" could not be changed or loaded.", "The server log has the details.")
}

func (c *Console) adminHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, Path+"/admin/clients", http.StatusSeeOther)
}

type clientRow struct {
	clientInfo
	Created, LastUsed, Expires time.Time
}

// consolePage is how many rows a console list shows at once.
const consolePage = 50

type clientsData struct {
	Rows []clientRow
	// Blocks are the blocked metadata-document clients and hosts.
	Blocks []storage.ClientBlock
	// Next and First link to the following page and back to the first;
	// empty when there is no such page.
	Next, First string
}

func (c *Console) clientsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after := q.Get("after")
	limit, err := admin.ParseLimit(q, consolePage)
	if err != nil {
		c.errorPage(w, r, http.StatusBadRequest, "This page link is not valid: "+err.Error()+".", "")
		return
	}
	stored, next, err := c.opt.Admin.ClientPage(r.Context(), after, limit)
	if admin.IsBadCursor(err) {
		c.errorPage(w, r, http.StatusBadRequest, "This page link is not valid.", "Start again from the first page of clients.")
		return
	}
	if err != nil {
		c.failed(w, r, "client list", err)
		return
	}
	var d clientsData
	page := func(after string) string {
		p := url.Values{}
		if after != "" {
			p.Set("after", after)
		}
		if q.Has("limit") {
			p.Set("limit", strconv.Itoa(limit))
		}
		if len(p) == 0 {
			return Path + "/admin/clients"
		}
		return Path + "/admin/clients?" + p.Encode()
	}
	if after == "" { // the configuration's clients head the first page
		for _, cl := range c.opt.Clients {
			d.Rows = append(d.Rows, clientRow{clientInfo: describe(cl, false)})
		}
	} else {
		d.First = page("")
	}
	for _, cl := range stored {
		d.Rows = append(d.Rows, clientRow{clientInfo: describe(cl, true), Created: cl.CreatedAt, LastUsed: cl.LastUsedAt, Expires: cl.ExpiresAt})
	}
	if next != "" {
		d.Next = page(next)
	}
	if d.Blocks, err = c.opt.Admin.ClientBlocks(r.Context()); err != nil {
		c.failed(w, r, "block list", err)
		return
	}
	c.render(w, r, http.StatusOK, "clients.html", &view{Title: "Clients", Section: "clients", Notice: notice(q), Data: d})
}

func (c *Console) formClient(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PostForm.Get("id")
	if id == "" {
		c.errorPage(w, r, http.StatusBadRequest, "Choose a client from the list. Nothing was changed.", "")
		return "", false
	}
	if _, ok := c.clients[id]; ok {
		c.errorPage(w, r, http.StatusBadRequest, "This client is defined in the configuration file; change it there. Nothing was changed.",
			"To end its users' access now, revoke its grants on the Grants page.")
		return "", false
	}
	return id, true
}

func (c *Console) disableClient(w http.ResponseWriter, r *http.Request) {
	if id, ok := c.formClient(w, r); ok {
		n, err := c.opt.Admin.SetClientDisabled(r.Context(), c.actor(r), id, true)
		if err != nil {
			c.failed(w, r, "client", err)
			return
		}
		done(w, r, Path+"/admin/clients", "client_disabled", n)
	}
}

func (c *Console) enableClient(w http.ResponseWriter, r *http.Request) {
	if id, ok := c.formClient(w, r); ok {
		if _, err := c.opt.Admin.SetClientDisabled(r.Context(), c.actor(r), id, false); err != nil {
			c.failed(w, r, "client", err)
			return
		}
		done(w, r, Path+"/admin/clients", "client_enabled", -1)
	}
}

func (c *Console) deleteClient(w http.ResponseWriter, r *http.Request) {
	if id, ok := c.formClient(w, r); ok {
		n, err := c.opt.Admin.DeleteClient(r.Context(), c.actor(r), id)
		if err != nil {
			c.failed(w, r, "client", err)
			return
		}
		done(w, r, Path+"/admin/clients", "client_deleted", n)
	}
}

type grantRow struct {
	storage.Grant
	Client clientInfo
	Server string
}

type grantsData struct {
	User, Client string
	Revoked      bool
	Grants       []grantRow
	// Next and First page through the grants, keeping the filter.
	Next, First string
	// Consents are the filtered user's.
	Consents []consentRow
}

type consentRow struct {
	storage.Consent
	Client clientInfo
	// Access is the consent per server: what was approved for each.
	Access []serverAccess
}

func (c *Console) grantsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := grantsData{User: strings.TrimSpace(q.Get("user")), Client: strings.TrimSpace(q.Get("client")), Revoked: q.Get("revoked") == "on"}
	limit, err := admin.ParseLimit(q, consolePage)
	if err != nil {
		c.errorPage(w, r, http.StatusBadRequest, "This page link is not valid: "+err.Error()+".", "")
		return
	}
	gs, next, err := c.opt.Admin.GrantPage(r.Context(), storage.GrantFilter{Subject: d.User, ClientID: d.Client, IncludeRevoked: d.Revoked},
		q.Get("after"), limit)
	if admin.IsBadCursor(err) {
		c.errorPage(w, r, http.StatusBadRequest, "This page link is not valid.", "Start again from the first page of grants.")
		return
	}
	if err != nil {
		c.failed(w, r, "grant list", err)
		return
	}
	page := func(after string) string {
		p := url.Values{}
		for k, v := range map[string]string{"user": d.User, "client": d.Client, "after": after} {
			if v != "" {
				p.Set(k, v)
			}
		}
		if d.Revoked {
			p.Set("revoked", "on")
		}
		if q.Has("limit") {
			p.Set("limit", strconv.Itoa(limit))
		}
		if len(p) == 0 {
			return Path + "/admin/grants"
		}
		return Path + "/admin/grants?" + p.Encode()
	}
	if next != "" {
		d.Next = page(next)
	}
	if q.Get("after") != "" {
		d.First = page("")
	}
	for _, g := range gs {
		ci, err := c.client(r.Context(), g.ClientID)
		if err != nil {
			c.failed(w, r, "grant list", err)
			return
		}
		d.Grants = append(d.Grants, grantRow{Grant: g, Client: ci, Server: c.serverName(g.Resource)})
	}
	if d.User != "" {
		cs, err := c.opt.Store.ListConsents(r.Context(), d.User)
		if err != nil {
			c.failed(w, r, "consent list", err)
			return
		}
		for _, cn := range cs {
			if d.Client != "" && cn.ClientID != d.Client {
				continue
			}
			ci, err := c.client(r.Context(), cn.ClientID)
			if err != nil {
				c.failed(w, r, "consent list", err)
				return
			}
			d.Consents = append(d.Consents, consentRow{Consent: cn, Client: ci, Access: c.access(cn.Approved)})
		}
	}
	c.render(w, r, http.StatusOK, "grants.html", &view{Title: "Grants and consents", Section: "grants", Notice: notice(q), Data: d})
}

// back returns to the grants page with the filter the form came from.
func backToGrants(form url.Values) string {
	q := url.Values{}
	for _, k := range []string{"user", "client"} {
		if v := form.Get("back_" + k); v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return Path + "/admin/grants"
	}
	return Path + "/admin/grants?" + q.Encode()
}

func withDone(page, what string, n int) string {
	sep := "?"
	if strings.Contains(page, "?") {
		sep = "&"
	}
	q := url.Values{"done": {what}}
	if n >= 0 {
		q.Set("n", itoa(n))
	}
	return page + sep + q.Encode()
}

func (c *Console) revokeGrant(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("id")
	if id == "" {
		c.errorPage(w, r, http.StatusBadRequest, "Choose a grant from the list. Nothing was changed.", "")
		return
	}
	if err := c.opt.Admin.RevokeGrant(r.Context(), c.actor(r), id); err != nil {
		c.failed(w, r, "grant", err)
		return
	}
	http.Redirect(w, r, withDone(backToGrants(r.PostForm), "grant_revoked", -1), http.StatusSeeOther)
}

func (c *Console) revokeGrants(w http.ResponseWriter, r *http.Request) {
	f := storage.GrantFilter{Subject: r.PostForm.Get("user"), ClientID: r.PostForm.Get("client")}
	if f.Subject == "" && f.ClientID == "" {
		c.errorPage(w, r, http.StatusBadRequest, "Name a user, a client, or both: revoking every grant at once is not offered. Nothing was changed.", "")
		return
	}
	n, err := c.opt.Admin.RevokeGrants(r.Context(), c.actor(r), f, "revoked_by_admin")
	if err != nil {
		c.failed(w, r, "grants", err)
		return
	}
	http.Redirect(w, r, withDone(backToGrants(r.PostForm), "grants_revoked", n), http.StatusSeeOther)
}

func (c *Console) withdrawConsent(w http.ResponseWriter, r *http.Request) {
	user, client := r.PostForm.Get("user"), r.PostForm.Get("client")
	if user == "" || client == "" {
		c.errorPage(w, r, http.StatusBadRequest, "Choose a consent from the list. Nothing was changed.", "")
		return
	}
	n, err := c.opt.Admin.WithdrawConsent(r.Context(), c.actor(r), user, client, "consent_revoked")
	if err != nil {
		c.failed(w, r, "consent", err)
		return
	}
	http.Redirect(w, r, withDone(backToGrants(r.PostForm), "consent_withdrawn", n), http.StatusSeeOther)
}

func (c *Console) serversPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "servers.html", &view{Title: "Servers", Section: "servers", Data: c.opt.Admin.Backends(r.Context())})
}

type keyRow struct {
	ID, Algorithm     string
	Current           bool
	Created, NotAfter time.Time
	Expires           time.Time
}

func (c *Console) keysPage(w http.ResponseWriter, r *http.Request) {
	ks, err := c.opt.Store.ListSigningKeys(r.Context())
	if err != nil {
		c.failed(w, r, "key list", err)
		return
	}
	var rows []keyRow
	for _, k := range ks {
		rows = append(rows, keyRow{ID: k.ID, Algorithm: k.Algorithm, Current: k.ID == c.opt.Admin.CurrentKey(),
			Created: k.CreatedAt, NotAfter: k.NotAfter, Expires: k.ExpiresAt})
	}
	slices.SortStableFunc(rows, func(a, b keyRow) int { return b.Created.Compare(a.Created) })
	c.render(w, r, http.StatusOK, "keys.html", &view{Title: "Signing keys", Section: "keys", Notice: notice(r.URL.Query()), Data: rows})
}

func (c *Console) rotateKeys(w http.ResponseWriter, r *http.Request) {
	if _, err := c.opt.Admin.RotateKeys(r.Context(), c.actor(r)); err != nil {
		c.failed(w, r, "signing key", err)
		return
	}
	done(w, r, Path+"/admin/keys", "key_rotated", -1)
}

type auditData struct {
	// Query is the filter as the form shows it.
	Query  url.Values
	Events []auditRow
	// Next pages on from the last record shown.
	Next   string
	Error  string
	Verify *verifyResult
}

type auditRow struct {
	Seq int64
	audit.Event
}

type verifyResult struct {
	Intact   bool
	Records  int
	LastSeq  int64
	Problems []string
}

func (c *Console) auditPage(w http.ResponseWriter, r *http.Request) {
	c.renderAudit(w, r, nil)
}

func (c *Console) verifyAudit(w http.ResponseWriter, r *http.Request) {
	rep, err := c.opt.Admin.VerifyAudit(r.Context())
	if err != nil {
		c.failed(w, r, "audit trail", err)
		return
	}
	v := &verifyResult{Intact: rep.OK(), Records: rep.Records, LastSeq: rep.LastSeq}
	for _, p := range rep.Problems {
		v.Problems = append(v.Problems, p.String())
	}
	c.renderAudit(w, r, v)
}

func (c *Console) renderAudit(w http.ResponseWriter, r *http.Request, v *verifyResult) {
	q := r.URL.Query()
	if len(q) == 0 { // the first visit: the last day
		q.Set("from", c.opt.Now().UTC().Add(-24*time.Hour).Format("2006-01-02T15:04"))
	}
	d := auditData{Query: q, Verify: v}
	status := http.StatusOK
	f, err := admin.ParseAuditFilter(q)
	if err != nil {
		d.Error, status = err.Error(), http.StatusBadRequest
	} else {
		recs, err := c.opt.Admin.Audit(r.Context(), f)
		if err != nil {
			c.failed(w, r, "audit trail", err)
			return
		}
		for _, rec := range recs {
			row := auditRow{Seq: rec.Seq}
			_ = json.Unmarshal(rec.Payload, &row.Event)
			d.Events = append(d.Events, row)
		}
		if len(recs) == f.Limit {
			next := url.Values{}
			for k, v := range q {
				next[k] = v
			}
			next.Set("after", itoa64(recs[len(recs)-1].Seq))
			d.Next = Path + "/admin/audit?" + next.Encode()
		}
	}
	c.render(w, r, status, "audit.html", &view{Title: "Audit trail", Section: "audit", Data: d})
}
