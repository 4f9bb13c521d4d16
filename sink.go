package loadharness

// Sink consumes a stream of results. Add is called from one goroutine at a
// time, in the order results arrived; it must not keep the pointer after it
// returns (the caller may reuse the Result). Close flushes whatever the sink
// buffers and reports the first error it met, so that a full disk is never
// silently ignored.
type Sink interface {
	Add(r *Result)
	Close() error
}

// SinkFunc adapts a function to a Sink whose Close does nothing.
type SinkFunc func(r *Result)

// Add calls f(r).
func (f SinkFunc) Add(r *Result) { f(r) }

// Close returns nil.
func (f SinkFunc) Close() error { return nil }

var _ Sink = SinkFunc(nil)

// Sinks fans one stream out to several sinks, in order.
type Sinks []Sink

// Add passes r to every sink.
func (s Sinks) Add(r *Result) {
	for _, sink := range s {
		sink.Add(r)
	}
}

// Close closes every sink, even after one fails, and returns the first error.
func (s Sinks) Close() error {
	var first error
	for _, sink := range s {
		if err := sink.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

var _ Sink = Sinks(nil)
