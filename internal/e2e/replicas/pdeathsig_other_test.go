//go:build !linux

package replicas

import "syscall"

func dieWithParent(*syscall.SysProcAttr) {}
