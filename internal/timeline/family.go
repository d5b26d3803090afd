package timeline

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Client is what a timeline knows of the client: its registration, as far
// as there is one (a metadata-document client is known by its URL only).
type Client struct {
	ID, Name, SoftwareID string
	RedirectURIs         []string
}

// ClientOf describes a stored or configured client, reading software_id
// from the registration document it sent.
func ClientOf(c storage.Client) Client {
	out := Client{ID: c.ID, Name: c.Name, RedirectURIs: c.RedirectURIs}
	var md struct {
		SoftwareID string `json:"software_id"`
	}
	if len(c.Metadata) > 0 && json.Unmarshal(c.Metadata, &md) == nil {
		out.SoftwareID = md.SoftwareID
	}
	return out
}

// Family is a kind of MCP client recognised from its registration and
// User-Agent, with what is known to trip it up.
type Family struct {
	Name string `json:"name"`
	// Evidence says what it was recognised by.
	Evidence string   `json:"evidence"`
	Quirks   []string `json:"quirks,omitempty"`
	// Source says where the quirks come from.
	Source string `json:"source,omitempty"`
}

// signs of a family: any one is enough. Hosts match the client_id URL's
// host and the redirect URIs' hosts (a subdomain too); names and agents
// are lower-case substrings of client_name and User-Agent; schemes are
// private-use redirect URI schemes.
type signs struct {
	hosts, names, agents, schemes, softwareIDs []string
}

type family struct {
	name   string
	signs  signs
	quirks []string
	source string
}

// observed: what operators reported, collected in issue #16 and checked by
// `drawbridge doctor`; Drawbridge tolerates the ones it can (docs/doctor.md).
const observed = "reported by operators (issue #16) and checked by drawbridge doctor (docs/doctor.md)"

// families, most specific first: Copilot runs inside VS Code, so its signs
// are checked before VS Code's; the SDKs last, by User-Agent only.
var families = []family{
	{name: "Claude", signs: signs{hosts: []string{"claude.ai", "claude.com", "anthropic.com"}, names: []string{"claude"}, agents: []string{"claude"}},
		quirks: []string{
			"Needs an absolute resource_metadata URL in the 401 challenge and the MCP server on port 443 (Drawbridge's public_url decides both).",
			"May add a trailing slash to the resource it asks for (Drawbridge accepts it).",
		}, source: observed},
	{name: "ChatGPT", signs: signs{hosts: []string{"chatgpt.com", "openai.com"}, names: []string{"chatgpt", "openai"}, agents: []string{"openai", "chatgpt"}},
		quirks: []string{
			"Registers a separate redirect URI for each connector: a connector added again is a new registration, and an old one fails with a redirect URI mismatch.",
			"Prefers a client ID metadata document with private_key_jwt: keep registration.metadata_documents enabled and its host reachable.",
		}, source: observed},
	{name: "GitHub Copilot", signs: signs{names: []string{"copilot"}, agents: []string{"copilot"}},
		quirks: []string{"In VS Code, Copilot signs in through VS Code's registration: see VS Code."}, source: observed},
	{name: "VS Code", signs: signs{hosts: []string{"vscode.dev"}, names: []string{"visual studio code", "vs code", "vscode"}, agents: []string{"vscode"}, schemes: []string{"vscode"}},
		quirks: []string{"Asks for every scope the server advertises (scopes_supported), so users are asked to grant all of them."}, source: observed},
	{name: "Cursor", signs: signs{hosts: []string{"cursor.com", "cursor.sh"}, names: []string{"cursor"}, agents: []string{"cursor"}, schemes: []string{"cursor"}}},
	// mcp-remote registers with these defaults (its OAuth client provider:
	// client_name "MCP CLI Client", earlier "MCP CLI Proxy", and this
	// software_id).
	{name: "mcp-remote", signs: signs{names: []string{"mcp cli client", "mcp cli proxy", "mcp-remote"}, agents: []string{"mcp-remote"},
		softwareIDs: []string{"2e6dc280-f3c3-4e01-99a7-8181dbd1d23d"}},
		quirks: []string{
			"Keeps its registration in ~/.mcp-auth: after the registration expires or is deleted here, delete that folder, or it keeps presenting an unknown client_id.",
			"Listens on a loopback port for the redirect; a firewall or another program on that port stops the sign-in after consent.",
		}, source: "mcp-remote's source and README; " + observed},
	{name: "MCP Python SDK (or another httpx client)", signs: signs{agents: []string{"python-httpx"}},
		quirks: []string{"Some command-line clients send no scope: Drawbridge then grants the resource's default scopes."}, source: observed},
	{name: "MCP TypeScript SDK (or another Node.js client)", signs: signs{agents: []string{"node", "undici"}},
		quirks: []string{"Some command-line clients send no scope: Drawbridge then grants the resource's default scopes."}, source: observed},
	{name: "MCP Go SDK (or another Go client)", signs: signs{agents: []string{"go-http-client"}},
		quirks: []string{"Some command-line clients send no scope: Drawbridge then grants the resource's default scopes."}, source: observed},
}

// Recognise names the client's family, or nil when nothing matches.
// Registration data is checked before User-Agents: it is what the client
// chose to call itself, where a User-Agent is often its HTTP library's.
func Recognise(c Client, userAgents []string) *Family {
	for _, f := range families {
		if ev := f.signs.byRegistration(c); ev != "" {
			return f.recognised(ev)
		}
	}
	for _, f := range families {
		if ev := f.signs.byAgent(userAgents); ev != "" {
			return f.recognised(ev)
		}
	}
	return nil
}

func (f family) recognised(evidence string) *Family {
	return &Family{Name: f.name, Evidence: evidence, Quirks: f.quirks, Source: f.source}
}

func (s signs) byRegistration(c Client) string {
	if h := hostOf(c.ID); h != "" && matchHost(h, s.hosts) {
		return "client_id host " + h
	}
	for _, u := range c.RedirectURIs {
		if h := hostOf(u); h != "" && matchHost(h, s.hosts) {
			return "redirect URI host " + h
		}
		if p, err := url.Parse(u); err == nil && containsFold(s.schemes, p.Scheme) {
			return "redirect URI scheme " + p.Scheme + ":"
		}
	}
	if n := strings.ToLower(c.Name); n != "" && containsAny(n, s.names) {
		return "client_name " + c.Name
	}
	if c.SoftwareID != "" && containsFold(s.softwareIDs, c.SoftwareID) {
		return "software_id " + c.SoftwareID
	}
	return ""
}

func (s signs) byAgent(agents []string) string {
	for _, ua := range agents {
		if containsAny(strings.ToLower(ua), s.agents) {
			return "User-Agent " + ua
		}
	}
	return ""
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" && u.Scheme != "http" {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

func matchHost(h string, hosts []string) bool {
	for _, want := range hosts {
		if h == want || strings.HasSuffix(h, "."+want) {
			return true
		}
	}
	return false
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
