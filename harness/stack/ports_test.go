package stack_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"loadharness/harness/stack"
)

// twoWorkers answers as worker 1 until the second has started, then as
// either, the way the kernel spreads new connections over the workers
// bound to an SO_REUSEPORT port.
type twoWorkers struct {
	secondUp atomic.Bool
	n        atomic.Int64
}

func (w *twoWorkers) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	worker := 1
	if w.secondUp.Load() {
		worker = 1 + int(w.n.Add(1)%2)
	}
	rw.Header().Set(stack.WorkerHeader, strconv.Itoa(worker))
	rw.Write([]byte("ready"))
}

func TestWaitWorkersWaitsForEveryWorker(t *testing.T) {
	w := &twoWorkers{}
	srv := httptest.NewServer(w)
	defer srv.Close()

	// One worker up: the wait goes on until its deadline, and says who
	// answered.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := stack.WaitWorkers(ctx, srv.URL+"/readyz", 2)
	if err == nil || !strings.Contains(err.Error(), "1 answered ([1])") {
		t.Fatalf("with one of two workers up: %v, want a timeout naming the one that answered", err)
	}

	// The second comes up while the harness waits: the wait ends then.
	time.AfterFunc(100*time.Millisecond, func() { w.secondUp.Store(true) })
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := stack.WaitWorkers(ctx, srv.URL+"/readyz", 2); err != nil {
		t.Fatalf("both workers up: %v", err)
	}
	if !w.secondUp.Load() {
		t.Fatalf("the wait ended after %v, before the second worker was up", time.Since(start))
	}

	// One worker asks for nothing more than the answer WaitHTTP had.
	if err := stack.WaitWorkers(context.Background(), "http://127.0.0.1:1/", 1); err != nil {
		t.Errorf("one worker: %v, want no wait at all", err)
	}
}

func TestWaitWorkersRefusesAnswersThatNameNoWorker(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { rw.Write([]byte("ready")) }))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := stack.WaitWorkers(ctx, srv.URL, 2)
	if err == nil || !strings.Contains(err.Error(), "names no worker") {
		t.Errorf("answers without %s: %v, want an error that says so", stack.WorkerHeader, err)
	}
}
