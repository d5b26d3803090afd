package replicas

import "syscall"

// dieWithParent has the kernel kill the child when the test process dies.
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
