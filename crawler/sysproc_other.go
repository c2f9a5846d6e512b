//go:build !linux

package main

import "syscall"

// childAttr: without Linux's parent-death signal, workers of a killed
// command exit when their NATS connection gives up.
func childAttr() *syscall.SysProcAttr { return nil }
