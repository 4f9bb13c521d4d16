package scenarios

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"loadharness"
)

// Headers that carry the harness's own fields in a raw results file. Vegeta
// keeps a result's headers as they are, so `vegeta report` reads the file
// and ignores them, and ReadRaw gets every field back.
const (
	RawStep     = "X-Loadtest-Step"
	RawUser     = "X-Loadtest-User"
	RawIntended = "X-Loadtest-Intended" // nanoseconds since the Unix epoch
	RawSession  = "X-Loadtest-Session"
	RawCheck    = "X-Loadtest-Check"
	RawInstance = "X-Loadtest-Instance"
	RawWorker   = "X-Loadtest-Worker"
	RawDataset  = "X-Loadtest-Dataset"
	RawDropped  = "X-Loadtest-Dropped" // hits never sent that the record stands for
	RawPhase    = "X-Loadtest-Phase"   // setup or warmup; absent for the main phase
)

// maxRawLine bounds one line of a raw results file; a longer one is an error
// rather than a reason to hold gigabytes.
const maxRawLine = 64 << 20

// rawWriter is the Sink of NewRawWriter.
type rawWriter struct {
	bw  *bufio.Writer
	enc vegeta.Encoder
	vr  vegeta.Result
	hdr http.Header
	err error
	// flushedAt is the send time of the result the buffer was last
	// flushed after: a harness killed with SIGKILL loses at most about
	// rawFlushEvery of results, whatever the rate.
	flushedAt time.Time
}

// rawFlushEvery bounds how much of a run the write buffer holds.
const rawFlushEvery = time.Second

// NewRawWriter returns a sink that writes each result to w as one line of
// Vegeta's JSON format: Attack is the scenario, Timestamp the send time,
// and the harness's own fields are headers (RawStep, RawUser, …). No body is
// written. Writes are buffered, and flushed once a second of results (by
// their send times) has gone by; Close flushes the rest (it does not close
// w) and returns the first write error.
func NewRawWriter(w io.Writer) loadharness.Sink {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &rawWriter{bw: bw, enc: vegeta.NewJSONEncoder(bw), hdr: make(http.Header, 8)}
}

// Add writes r, unless an earlier write failed.
func (rw *rawWriter) Add(r *loadharness.Result) {
	if rw.err != nil {
		return
	}
	h := rw.hdr
	clear(h)
	set := func(key, v string) {
		if v != "" {
			h[key] = []string{v}
		}
	}
	set(RawStep, r.Step)
	set(RawUser, strconv.FormatUint(uint64(r.User), 10))
	if !r.Intended.IsZero() {
		set(RawIntended, strconv.FormatInt(r.Intended.UnixNano(), 10))
	}
	if r.Session != loadharness.SessionUnchecked {
		set(RawSession, r.Session.String())
	}
	set(RawCheck, r.CheckFailure)
	set(RawInstance, r.Instance)
	set(RawWorker, r.Worker)
	set(RawDataset, r.Dataset)
	if r.Phase != loadharness.PhaseMain {
		set(RawPhase, r.Phase.String())
	}
	if r.Dropped > 0 {
		set(RawDropped, strconv.FormatUint(uint64(r.Dropped), 10))
	}
	rw.vr = vegeta.Result{
		Attack:    r.Scenario,
		Seq:       r.Seq,
		Code:      r.Code,
		Timestamp: r.Sent,
		Latency:   r.Latency,
		BytesOut:  r.BytesOut,
		BytesIn:   r.BytesIn,
		Error:     r.Error,
		Method:    r.Method,
		URL:       r.URL,
		Headers:   h,
	}
	if err := rw.enc.Encode(&rw.vr); err != nil {
		rw.err = fmt.Errorf("write raw results: %w", err)
		return
	}
	if r.Sent.Sub(rw.flushedAt) >= rawFlushEvery {
		rw.flushedAt = r.Sent
		if err := rw.bw.Flush(); err != nil {
			rw.err = fmt.Errorf("write raw results: %w", err)
		}
	}
}

// Err is the first write error, so the run can stop at once rather than
// measure what it can no longer keep.
func (rw *rawWriter) Err() error { return rw.err }

// Close flushes the buffer.
func (rw *rawWriter) Close() error {
	if rw.err != nil {
		return rw.err
	}
	if err := rw.bw.Flush(); err != nil {
		rw.err = fmt.Errorf("write raw results: %w", err)
	}
	return rw.err
}

// TruncatedError says the last line of a raw results file was cut short, as
// when a run was killed mid-write. The complete lines before it were read;
// a caller can treat it as a warning.
type TruncatedError struct {
	// Line is the 1-based number of the cut line; Bytes is its length.
	Line  int
	Bytes int
}

// Error describes the cut line.
func (e *TruncatedError) Error() string {
	return fmt.Sprintf("raw results: line %d is truncated (%d bytes, no newline): the run was probably interrupted while writing", e.Line, e.Bytes)
}

// lineFeeder hands Vegeta's JSON decoder one line at a time, so that the
// decoder (which reads to the next newline) can be reused while ReadRaw
// keeps count of lines.
type lineFeeder struct{ line []byte }

// Read serves the current line.
func (f *lineFeeder) Read(p []byte) (int, error) {
	if len(f.line) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.line)
	f.line = f.line[n:]
	return n, nil
}

// ReadRaw reads a raw results file (Vegeta's JSON format, written by
// NewRawWriter or by `vegeta attack -format json`… `vegeta encode --to json`)
// and adds each result to sink. It returns how many it added. A plain Vegeta
// file reads too: its step is the method and path. A cut last line yields a
// *TruncatedError after the complete lines; any other bad line stops the
// read with an error naming the line.
func ReadRaw(ctx context.Context, r io.Reader, sink loadharness.Sink) (int, error) {
	rr := NewRawReader(r)
	var (
		res loadharness.Result
		n   int
	)
	for {
		err := rr.Next(ctx, &res)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		sink.Add(&res)
		n++
	}
}

// RawReader reads a raw results file one result at a time, for a caller
// that pulls (a merge of several files) rather than has results pushed to
// a sink as ReadRaw does. Its results and errors are ReadRaw's.
type RawReader struct {
	br     *bufio.Reader
	feeder *lineFeeder
	dec    vegeta.Decoder
	vr     vegeta.Result
	line   []byte
	lineNo int
	// done is set at the end of input or after an error: a reader does not
	// resume past a bad line.
	done error
}

// NewRawReader returns a reader of the raw results in r.
func NewRawReader(r io.Reader) *RawReader {
	feeder := &lineFeeder{}
	return &RawReader{
		br:     bufio.NewReaderSize(r, 64<<10),
		feeder: feeder,
		dec:    vegeta.NewJSONDecoder(feeder),
	}
}

// Next fills res with the next result; blank lines are skipped. At the end
// of input it returns io.EOF; a cut last line yields a *TruncatedError (the
// complete lines before it were returned); any other bad line an error
// naming the line. After an error or io.EOF, every call returns it again.
func (rr *RawReader) Next(ctx context.Context, res *loadharness.Result) error {
	if rr.done != nil {
		return rr.done
	}
	err := rr.next(ctx, res)
	if err != nil {
		rr.done = err
	}
	return err
}

// Line is the 1-based number of the last line read.
func (rr *RawReader) Line() int { return rr.lineNo }

func (rr *RawReader) next(ctx context.Context, res *loadharness.Result) error {
	for {
		rr.lineNo++
		if rr.lineNo%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("read raw results: %w", err)
			}
		}
		var err error
		rr.line, err = readLine(rr.br, rr.line[:0])
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read raw results: line %d: %w", rr.lineNo, err)
		}
		if len(bytes.TrimSpace(rr.line)) > 0 {
			return rr.decode(res)
		}
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
	}
}

// decode reads the current line, which is not blank, into res.
func (rr *RawReader) decode(res *loadharness.Result) error {
	complete := rr.line[len(rr.line)-1] == '\n'
	rr.feeder.line = rr.line
	if !complete {
		rr.feeder.line = append(rr.line, '\n')
	}
	rr.vr = vegeta.Result{}
	err := rr.dec.Decode(&rr.vr)
	if err == nil && rr.vr.Timestamp.IsZero() {
		err = errors.New("not a Vegeta result (no timestamp)")
	}
	switch {
	case err != nil && !complete:
		return &TruncatedError{Line: rr.lineNo, Bytes: len(bytes.TrimRight(rr.line, "\n"))}
	case err != nil:
		return fmt.Errorf("read raw results: line %d: %w", rr.lineNo, err)
	}
	fromVegeta(&rr.vr, res)
	return nil
}

// readLine appends the next line of br, newline included, to dst; at the
// end of input it returns what is left with io.EOF.
func readLine(br *bufio.Reader, dst []byte) ([]byte, error) {
	for {
		frag, err := br.ReadSlice('\n')
		dst = append(dst, frag...)
		if len(dst) > maxRawLine {
			return dst, fmt.Errorf("longer than %d bytes", maxRawLine)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return dst, err
		}
	}
}

// fromVegeta fills out from a decoded Vegeta result.
func fromVegeta(vr *vegeta.Result, out *loadharness.Result) {
	*out = loadharness.Result{
		Scenario: vr.Attack,
		Method:   vr.Method,
		URL:      vr.URL,
		Seq:      vr.Seq,
		Sent:     vr.Timestamp,
		Latency:  vr.Latency,
		Code:     vr.Code,
		Error:    vr.Error,
		BytesIn:  vr.BytesIn,
		BytesOut: vr.BytesOut,
	}
	h := vr.Headers
	if v, err := strconv.ParseUint(firstValue(h, RawDropped), 10, 32); err == nil {
		out.Dropped = uint32(v)
	}
	out.Step = firstValue(h, RawStep)
	if out.Step == "" && out.Dropped == 0 {
		out.Step = methodPath(vr.Method, vr.URL)
	}
	if v, err := strconv.ParseUint(firstValue(h, RawUser), 10, 32); err == nil {
		out.User = uint32(v)
	}
	if v, ok := headerInt(h, RawIntended); ok {
		out.Intended = time.Unix(0, v)
	}
	out.Session = loadharness.ParseSessionOutcome(firstValue(h, RawSession))
	out.CheckFailure = firstValue(h, RawCheck)
	// A plain Vegeta file keeps the target's own headers: fall back on the
	// reference target's names.
	out.Instance = cmp.Or(firstValue(h, RawInstance), firstValue(h, "X-Instance"))
	out.Worker = cmp.Or(firstValue(h, RawWorker), firstValue(h, "X-Worker"))
	out.Dataset = firstValue(h, RawDataset)
	out.Phase, _ = loadharness.ParsePhase(firstValue(h, RawPhase))
}

// methodPath names a step of a plain Vegeta file: "GET /map".
func methodPath(method, rawURL string) string {
	p := rawURL
	if u, err := url.Parse(rawURL); err == nil && u.Path != "" {
		p = u.Path
	}
	return cmp.Or(method, "GET") + " " + p
}

// headerInt parses a header holding a decimal integer.
func headerInt(h map[string][]string, key string) (int64, bool) {
	v := firstValue(h, key)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}
