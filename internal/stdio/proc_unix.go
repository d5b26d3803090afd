//go:build unix

package stdio

import (
	"os"
	"syscall"
)

// sysProcAttr puts the child in a process group of its own, so that the
// bridge can signal everything it spawned (npx, shells and wrappers start
// grandchildren) and so that a terminal's ^C to the gateway does not reach
// the child before the bridge shuts it down in order.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup signals the child's process group, and the child itself in
// case it has moved to another group.
func signalGroup(p *os.Process, sig syscall.Signal) {
	_ = syscall.Kill(-p.Pid, sig)
	_ = p.Signal(sig)
}
