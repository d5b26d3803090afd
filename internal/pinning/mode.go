package pinning

// Mode is what a server's pinning does when a tool's definition is not
// the approved one.
type Mode string

// Modes, from least to most strict.
const (
	// Off: definitions are neither recorded nor checked.
	Off Mode = "off"
	// Warn: definitions are recorded and changes audited; nothing is
	// withheld.
	Warn Mode = "warn"
	// Hide: a changed tool is removed from lists and its calls refused
	// until an administrator approves the change. New tools are trusted
	// on first use (unless Approval is AdminApproval).
	Hide Mode = "hide"
	// Block: as Hide, and new tools are withheld too until approved; only
	// the tools of the first list ever seen from the server are trusted on
	// first use (unless Approval is AdminApproval).
	Block Mode = "block"
)

// Approval is what a definition seen for the first time is trusted by.
type Approval string

const (
	// TrustOnFirstUse approves what is seen first (see Hide and Block).
	TrustOnFirstUse Approval = "tofu"
	// AdminApproval approves nothing by itself: every definition waits for
	// an administrator, the first contact's included. Under Warn, it
	// passes anyway but is audited as unapproved.
	AdminApproval Approval = "admin"
)

// Modes and Approvals are the values configuration accepts.
var (
	Modes     = []string{string(Off), string(Warn), string(Hide), string(Block)}
	Approvals = []string{string(TrustOnFirstUse), string(AdminApproval)}
)

// Settings are one server's pinning configuration.
type Settings struct {
	Mode     Mode
	Approval Approval
}

// enforced reports whether definitions that are not approved are withheld.
func (s Settings) enforced() bool { return s.Mode == Hide || s.Mode == Block }
