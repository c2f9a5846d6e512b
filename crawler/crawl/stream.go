package crawl

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"sort"
)

// Event is one record of a streamed crawl; exactly one field is set:
//   - Result: a distinct URL is done (fetched, failed or skipped), with the
//     lines it appeared on so far;
//   - BadLine: a line that is not a fetchable URL;
//   - Duplicate: a line repeating a URL whose Result was already emitted
//     (a repeat seen earlier is in that Result's Lines instead).
//
// Every line of the list holding something is in exactly one event.
type Event struct {
	Result    *Result
	BadLine   *LineProblem
	Duplicate *Duplicate
}

// Duplicate is a line of the list whose URL (after normalisation) was
// already reported at FirstLine.
type Duplicate struct {
	Line      int    `json:"line"`
	URL       string `json:"url"`
	FirstLine int    `json:"first_line"`
}

// MarshalJSON writes the event as one flat object whose "type" is
// "result", "bad_line" or "duplicate", with the fields of Result,
// LineProblem or Duplicate: one line of the command's -jsonl output.
func (ev Event) MarshalJSON() ([]byte, error) {
	var typ string
	var v any
	switch {
	case ev.Result != nil:
		typ, v = "result", ev.Result
	case ev.BadLine != nil:
		typ, v = "bad_line", ev.BadLine
	case ev.Duplicate != nil:
		typ, v = "duplicate", ev.Duplicate
	default:
		return nil, errors.New("crawl: empty Event")
	}
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(body)+len(typ)+12)
	out = append(out, `{"type":"`...)
	out = append(out, typ...)
	out = append(out, '"')
	if len(body) > 2 {
		out = append(out, ',')
	}
	return append(out, body[1:]...), nil
}

// Stream reads a URL list from r line by line (the rules of ParseURLList)
// and crawls it in one mode, Concurrent (the default) or Serial, calling
// emit with each event as it happens: results in the order they finish.
// emit is called from one goroutine at a time; an error from it (or a
// panic) stops the crawl and is returned.
//
// Memory stays bounded whatever the list's length: Stream holds the URLs
// read ahead (Options.Lookahead), those in flight, and 20 bytes a distinct
// URL to recognise duplicates; results are not kept.
//
// It returns the pass's summary (Run without Results) and blocks until
// the list is read and every URL read is done. When ctx is cancelled it
// stops reading, emits the URLs read but not fetched with ctx's error,
// and returns the summary, marked Interrupted, with Run.Lines the last
// line read, and ctx's error. A read error of r ends the crawl the same
// way and is returned.
func Stream(ctx context.Context, r io.Reader, o Options, emit func(Event) error) (*Run, error) {
	if o.Mode == "" {
		o.Mode = Concurrent
	}
	o = o.withDefaults()
	if o.Mode != Serial && o.Mode != Concurrent {
		return nil, errors.New(`crawl: Stream runs one mode, "serial" or "concurrent"`)
	}
	f := newFetcher(ctx, o)
	defer f.close()
	e := newEngine(o, o.Mode, f, emit)
	return e.run(ctx, func(yield func(item) bool) error { return readList(r, yield) })
}

// CrawlReader reads a URL list from r (the rules of ParseURLList) and
// crawls it as Crawl does; bad lines are in Report.Problems, and each
// Result's Lines are line numbers of r. In Both mode the list is read
// into memory once and crawled twice; in one mode it is read as it is
// crawled. A read error of r is returned with the report of what was read.
func CrawlReader(ctx context.Context, r io.Reader, o Options) (*Report, error) {
	o = o.withDefaults()
	if _, err := ParseMode(string(o.Mode)); err != nil {
		return nil, err
	}
	src := func(yield func(item) bool) error { return readList(r, yield) }
	if o.Mode == Both {
		var items []item
		readErr := readList(r, func(it item) bool { items = append(items, it); return true })
		src = func(yield func(item) bool) error {
			for _, it := range items {
				if !yield(it) {
					break
				}
			}
			return readErr
		}
	}
	return crawlSource(ctx, src, o, false)
}

// crawlSource runs the modes of o over src, keeping every result.
func crawlSource(ctx context.Context, src func(yield func(item) bool) error, o Options, keepAll bool) (*Report, error) {
	rep := &Report{Concurrency: o.Concurrency}
	f := newFetcher(ctx, o)
	defer f.close()
	var firstErr error
	pass := func(m Mode) *Run {
		var col passCollector
		run, err := newEngine(o, m, f, col.emit).run(ctx, src)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		col.finish(rep, run)
		if keepAll && err != nil {
			run.Results = accountAll(ctx, src, run, err)
			run.exactPercentiles()
		}
		return run
	}
	if o.Mode == Serial || o.Mode == Both {
		rep.Serial = pass(Serial)
	}
	if (o.Mode == Concurrent || o.Mode == Both) && ctx.Err() == nil {
		rep.Concurrent = pass(Concurrent)
	}
	return finishReport(ctx, rep, firstErr)
}

// passCollector keeps the events of one pass for a Report.
type passCollector struct {
	results  []Result
	problems []LineProblem
	dups     []Duplicate
}

func (c *passCollector) emit(ev Event) error {
	switch {
	case ev.Result != nil:
		c.results = append(c.results, *ev.Result)
	case ev.BadLine != nil:
		c.problems = append(c.problems, *ev.BadLine)
	case ev.Duplicate != nil:
		c.dups = append(c.dups, *ev.Duplicate)
	}
	return nil
}

// finish puts the pass's results in run, in the order of first
// appearance, and its bad lines in rep (the serial pass's win).
func (c *passCollector) finish(rep *Report, run *Run) {
	run.Results = mergeResults(c.results, c.dups)
	run.exactPercentiles()
	if run.Mode == Serial || rep.Problems == nil {
		rep.Problems = c.problems
	}
	if rep.URLs == 0 {
		rep.URLs = run.URLs + run.Duplicates
	}
}

// finishReport sets the comparison of rep's passes, and Interrupted.
func finishReport(ctx context.Context, rep *Report, firstErr error) (*Report, error) {
	if rep.Serial != nil && rep.Concurrent != nil && rep.Concurrent.Wall > 0 {
		rep.Speedup = float64(rep.Serial.Wall) / float64(rep.Concurrent.Wall)
	}
	for _, run := range []*Run{rep.Concurrent, rep.Serial} {
		if run != nil && run.IdealSpeedup > 0 {
			rep.IdealSpeedup, rep.IdealBound = run.IdealSpeedup, run.IdealBound
		}
	}
	if err := ctx.Err(); err != nil {
		rep.Interrupted = true
		return rep, err
	}
	return rep, firstErr
}

// mergeResults sorts results by first line and adds each late duplicate's
// line to its result.
func mergeResults(results []Result, dups []Duplicate) []Result {
	sort.Slice(results, func(i, j int) bool { return first(results[i]) < first(results[j]) })
	for _, d := range dups {
		i := sort.Search(len(results), func(i int) bool { return first(results[i]) >= d.FirstLine })
		if i < len(results) && first(results[i]) == d.FirstLine {
			results[i].Lines = append(results[i].Lines, d.Line)
		}
	}
	for i := range results {
		slices.Sort(results[i].Lines)
	}
	return results
}

func first(r Result) int {
	if len(r.Lines) == 0 {
		return 0
	}
	return r.Lines[0]
}

// accountAll, for a slice list whose pass stopped early, adds a result
// with the stop error for every URL not reported (duplicates folded in),
// so that every position of the list is in the report.
func accountAll(ctx context.Context, src func(yield func(item) bool) error, run *Run, stopErr error) []Result {
	if c := context.Cause(ctx); c != nil {
		stopErr = c
	}
	results := run.Results
	byKey := make(map[urlKey]int, len(results))
	covered := make(map[int]bool)
	for i, r := range results {
		norm, _ := normalize(r.URL)
		byKey[keyOf(norm)] = i
		for _, l := range r.Lines {
			covered[l] = true
		}
	}
	_ = src(func(it item) bool {
		if covered[it.line] || it.problem != nil {
			return true
		}
		norm, _ := normalize(it.url)
		k := keyOf(norm)
		if i, ok := byKey[k]; ok {
			results[i].Lines = append(results[i].Lines, it.line)
			return true
		}
		byKey[k] = len(results)
		results = append(results, Result{URL: it.url, Lines: []int{it.line}, Err: stopErr, Error: stopErr.Error()})
		run.URLs++
		run.Errors++
		run.Failed++
		return true
	})
	return mergeResults(results, nil)
}
