package main

import "syscall"

// childAttr makes a worker process die with the command (a SIGKILLed
// coordinator leaves no orphan workers behind).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
