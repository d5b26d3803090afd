//go:build !unix

package stdio

import (
	"os"
	"syscall"
)

// Process groups are a POSIX notion; elsewhere only the child is signalled.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func signalGroup(p *os.Process, sig syscall.Signal) {
	if sig == syscall.SIGKILL {
		_ = p.Kill()
		return
	}
	_ = p.Signal(sig)
}
