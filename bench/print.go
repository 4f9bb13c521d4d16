package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

// printCommand prints a command line the bench runs, shell-quoted enough to
// paste back.
func printCommand(args []string) {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"$\\*?;&|<>()") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	fmt.Printf("$ %s\n", strings.Join(q, " "))
}

// section starts a part of the output.
func section(name string) { fmt.Printf("\n== %s\n", name) }

// printMachine says what the figures were measured on: they mean nothing
// without it.
func printMachine() {
	load := "?"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	fmt.Printf("machine: %s/%s, %d cores (GOMAXPROCS %d), %s, load average %s\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), load)
}
