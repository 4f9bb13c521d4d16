package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"loadharness/harness/stack"
)

// fastTeardown bounds the teardown a second signal asks for: the user wants
// out now, but containers and processes must not outlive the harness.
const fastTeardown = 5 * time.Second

// upStacks are the stacks that are up, for a second signal to tear down.
var upStacks struct {
	mu     sync.Mutex
	stacks map[stack.Stack]bool
}

// trackStack notes st as up until the returned function is called.
func trackStack(st stack.Stack) (untrack func()) {
	upStacks.mu.Lock()
	defer upStacks.mu.Unlock()
	if upStacks.stacks == nil {
		upStacks.stacks = map[stack.Stack]bool{}
	}
	upStacks.stacks[st] = true
	return func() {
		upStacks.mu.Lock()
		defer upStacks.mu.Unlock()
		delete(upStacks.stacks, st)
	}
}

// emergencyTeardown kills (stack.ForceCloser) or closes every stack that is up,
// each within fastTeardown, and says what failed.
func emergencyTeardown(stderr io.Writer) {
	upStacks.mu.Lock()
	stacks := make([]stack.Stack, 0, len(upStacks.stacks))
	for st := range upStacks.stacks {
		stacks = append(stacks, st)
	}
	upStacks.mu.Unlock()
	var wg sync.WaitGroup
	for _, st := range stacks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), fastTeardown)
			defer cancel()
			// Force where the stack can (containers); processes die with
			// the harness anyway (Pdeathsig), and Close ends them in order.
			var err error
			if f, ok := st.(stack.ForceCloser); ok {
				err = f.ForceClose(ctx)
			} else {
				err = st.Close(ctx)
			}
			if err != nil {
				fmt.Fprintf(stderr, "loadtest: fast tear down: %v\n", err)
			}
		}()
	}
	wg.Wait()
}
