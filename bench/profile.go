package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

// startProfiles profiles what runs until the returned stop, into dir:
//   - NAME.cpu.pprof, a CPU profile;
//   - NAME.allocs.pprof, the allocation profile at the stop, and
//     NAME.allocs-base.pprof the same at the start: the allocations of the
//     run are their difference (`go tool pprof -sample_index=alloc_space
//     -diff_base NAME.allocs-base.pprof NAME.allocs.pprof`), since Go's
//     allocation profile counts from the start of the process.
//
// With dir "" it does nothing. A profile that cannot be written is
// reported at the stop and does not fail the bench: the figures are what
// it is for.
func startProfiles(dir, name string) (stop func(), err error) {
	if dir == "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("profiles: %w", err)
	}
	base := filepath.Join(dir, name)
	if err := writeAllocs(base + ".allocs-base.pprof"); err != nil {
		return nil, err
	}
	cpu, err := os.Create(base + ".cpu.pprof")
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		cpu.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		err := errors.Join(cpu.Close(), writeAllocs(base+".allocs.pprof"))
		if err != nil {
			fmt.Printf("  profiles of %s: %v\n", name, err)
			return
		}
		fmt.Printf("  profiles: %s.{cpu,allocs,allocs-base}.pprof\n", base)
	}, nil
}

// writeAllocs writes the allocation profile so far to path, after a
// collection so that it is up to date.
func writeAllocs(path string) error {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("allocation profile: %w", err)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("allocation profile %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("allocation profile %s: %w", path, err)
	}
	return nil
}
