package crawl

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is the outcome of one distinct URL of the list: its status and
// size, or the error, or why it was skipped; with every line it appeared
// on and the attempts it took.
type Result struct {
	URL       string        `json:"url"`
	Lines     []int         `json:"lines,omitempty"` // 1-based lines of the list (Crawl: positions in urls)
	FinalURL  string        `json:"final_url,omitempty"`
	Status    int           `json:"status,omitempty"`
	Bytes     int64         `json:"bytes"`
	Duration  time.Duration `json:"duration_ns"` // time in requests, all attempts (waits between them excluded)
	Attempts  int           `json:"attempts"`    // requests made: 1 + retries; 0 when skipped or never started
	Redirects int           `json:"redirects,omitempty"`
	Skipped   string        `json:"skipped,omitempty"` // why it was not fetched (robots.txt)
	Error     string        `json:"error,omitempty"`
	Err       error         `json:"-"` // usable with errors.Is (ErrTimeout, ErrBodyTooLarge, ...)
}

// OK reports whether the URL was fetched without error (any HTTP status).
// A skipped URL is neither OK nor an error.
func (r Result) OK() bool { return r.Err == nil && r.Skipped == "" }

// Run is one mode's pass over the list. Every line of the list is counted
// once: URLs (distinct, each in OK, Errors or Skipped), Duplicates (lines
// repeating an earlier URL) and BadLines.
type Run struct {
	Mode          Mode           `json:"mode"`
	Wall          time.Duration  `json:"wall_ns"`
	RequestsPS    float64        `json:"requests_per_second"` // distinct URLs done a second
	Lines         int            `json:"lines_read"`          // the last line of the list read
	URLs          int            `json:"urls"`                // distinct URLs
	OK            int            `json:"ok"`                  // fetched, any status
	Errors        int            `json:"errors"`              // not fetched: timeouts, connection errors, ...
	FailedStatus  int            `json:"failed_status"`       // fetched with a status in Options.FailStatus
	Failed        int            `json:"failed"`              // Errors + FailedStatus
	Skipped       int            `json:"skipped"`             // disallowed by robots.txt
	Duplicates    int            `json:"duplicates"`
	BadLines      int            `json:"bad_lines"`
	Attempts      int            `json:"attempts"`       // requests for the list's URLs, retries included
	Retried       int            `json:"retried"`        // URLs that took more than one attempt
	RobotsFetches int            `json:"robots_fetches"` // requests for robots.txt
	StatusClasses map[string]int `json:"status_classes,omitempty"`
	Bytes         int64          `json:"bytes"`
	P50           time.Duration  `json:"p50_ns"`
	P95           time.Duration  `json:"p95_ns"`
	Max           time.Duration  `json:"max_ns"`
	// IdealSpeedup is the most a concurrent pass could gain over a serial
	// one on this list, from this pass's request times: their sum over
	// the least possible wall time, which is bounded by the slowest URL,
	// by the sum spread over Concurrency, and by each host's share over
	// HostConcurrency (or its delays). IdealBound says which bound held.
	IdealSpeedup float64  `json:"ideal_speedup,omitempty"`
	IdealBound   string   `json:"ideal_bound,omitempty"`
	Interrupted  bool     `json:"interrupted,omitempty"`
	Results      []Result `json:"results,omitempty"` // Crawl and CrawlReader: in the order of first appearance
}

// runStats accumulates a Run as results are emitted.
type runStats struct {
	done, ok, errors, failedStatus, skipped, duplicates, badLines int
	attempts, retried                                             int
	bytes                                                         int64
	classes                                                       [6]int
	lat                                                           latencyHist
	sum, maxDur                                                   time.Duration
}

// latencyHist counts durations in log-linear buckets (64 a power of two
// of microseconds: within 1.6%), so percentiles of a streamed crawl cost
// 9 KiB, not 8 bytes a URL. Crawl and CrawlReader, which keep every
// result, report exact percentiles instead.
type latencyHist struct {
	counts [64 + 35*64]uint32
	n      int
}

func histBucket(d time.Duration) int {
	us := uint64(max(d, 0) / time.Microsecond)
	if us < 64 {
		return int(us)
	}
	e := bits.Len64(us) - 1 // >= 6
	return min(64+(e-6)*64+int(us>>(e-6)-64), 64+35*64-1)
}

// histValue is the middle of bucket i.
func histValue(i int) time.Duration {
	if i < 64 {
		return time.Duration(i) * time.Microsecond
	}
	e := (i-64)/64 + 6
	lo := uint64(64+(i-64)%64) << (e - 6)
	return time.Duration(lo+(uint64(1)<<(e-6))/2) * time.Microsecond
}

func (h *latencyHist) add(d time.Duration) {
	h.counts[histBucket(d)]++
	h.n++
}

// percentile by the nearest-rank method, to the bucket's precision.
func (h *latencyHist) percentile(p int) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := max((p*h.n+99)/100, 1)
	seen := 0
	for i, c := range h.counts {
		seen += int(c)
		if seen >= rank {
			return histValue(i)
		}
	}
	return 0
}

func (s *runStats) add(r Result, fail StatusSet) {
	s.done++
	s.attempts += r.Attempts
	if r.Attempts > 1 {
		s.retried++
	}
	switch {
	case r.Skipped != "":
		s.skipped++
		return
	case r.Err != nil:
		s.errors++
	default:
		s.ok++
		if r.Status >= 100 && r.Status < 600 {
			s.classes[r.Status/100]++
		}
		if fail.Has(r.Status) {
			s.failedStatus++
		}
	}
	s.bytes += r.Bytes
	s.lat.add(r.Duration)
	s.sum += r.Duration
	s.maxDur = max(s.maxDur, r.Duration)
}

func (s *runStats) run(m Mode, wall time.Duration, o Options) *Run {
	r := &Run{Mode: m, Wall: wall, URLs: s.done, OK: s.ok, Errors: s.errors, FailedStatus: s.failedStatus,
		Failed: s.errors + s.failedStatus, Skipped: s.skipped, Duplicates: s.duplicates, BadLines: s.badLines,
		Attempts: s.attempts, Retried: s.retried, Bytes: s.bytes}
	for c, n := range s.classes {
		if n > 0 {
			if r.StatusClasses == nil {
				r.StatusClasses = make(map[string]int)
			}
			r.StatusClasses[fmt.Sprintf("%dxx", c)] = n
		}
	}
	if wall > 0 {
		r.RequestsPS = float64(s.done) / wall.Seconds()
	}
	r.P50, r.P95, r.Max = s.lat.percentile(50), s.lat.percentile(95), s.maxDur
	return r
}

// exactPercentiles sets run's P50 and P95 from its Results' durations.
func (r *Run) exactPercentiles() {
	lat := make([]time.Duration, 0, len(r.Results))
	for _, x := range r.Results {
		if x.Skipped == "" && x.Attempts > 0 {
			lat = append(lat, x.Duration)
		}
	}
	slices.Sort(lat)
	r.P50, r.P95 = percentile(lat, 50), percentile(lat, 95)
}

// ideal is the ideal speed-up of a list whose requests took sum in all,
// the slowest maxDur, at conc requests at once with per-host bound
// hostBound, and which bound holds.
func ideal(sum, maxDur, hostBound time.Duration, conc int) (float64, string) {
	bound, why := maxDur, fmt.Sprintf("slowest URL %v", rd(maxDur))
	if b := sum / time.Duration(max(conc, 1)); b > bound {
		bound, why = b, fmt.Sprintf("%d requests at once", conc)
	}
	if hostBound > bound {
		bound, why = hostBound, fmt.Sprintf("per-host limits, %v on the busiest host", rd(hostBound))
	}
	if bound <= 0 {
		return 0, ""
	}
	return float64(sum) / float64(bound), why
}

// percentile of sorted d by the nearest-rank method.
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := (p*len(d)+99)/100 - 1
	return d[max(i, 0)]
}

// Report is what Crawl and CrawlReader return: each mode's run and the
// comparison.
type Report struct {
	URLs        int     `json:"urls"` // lines holding a URL, duplicates included
	Concurrency int     `json:"concurrency"`
	Serial      *Run    `json:"serial,omitempty"`
	Concurrent  *Run    `json:"concurrent,omitempty"`
	Speedup     float64 `json:"speedup,omitempty"` // serial wall / concurrent wall
	// IdealSpeedup is the serial run's (else the concurrent run's)
	// Run.IdealSpeedup: what Speedup would be with no overhead.
	IdealSpeedup float64       `json:"ideal_speedup,omitempty"`
	IdealBound   string        `json:"ideal_bound,omitempty"`
	Interrupted  bool          `json:"interrupted,omitempty"`
	Problems     []LineProblem `json:"skipped_lines,omitempty"` // lines that are not URLs (CrawlReader)
}

// Failed reports the number of URLs that failed in any mode: errors, and
// statuses in Options.FailStatus.
func (r *Report) Failed() int {
	n := 0
	for _, run := range []*Run{r.Serial, r.Concurrent} {
		if run != nil {
			n = max(n, run.Failed)
		}
	}
	return n
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(r)
}

// WriteText writes the report for a person: a summary line per mode, the
// speed-up and the ideal one, status classes, then the per-URL table of
// the last mode run (with the lines each URL was on and its attempts).
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range r.Problems {
		fmt.Fprintf(tw, "skipped %s\n", p)
	}
	fmt.Fprintf(tw, "%d URLs, concurrency %d\n\n", r.URLs, r.Concurrency)
	fmt.Fprintf(tw, "mode\twall\treq/s\tok\tfailed\tskipped\tretried\tbytes\tp50\tp95\tmax\n")
	var last *Run
	for _, run := range []*Run{r.Serial, r.Concurrent} {
		if run == nil {
			continue
		}
		last = run
		fmt.Fprintf(tw, "%s\t%v\t%.1f\t%d\t%d\t%d\t%d\t%s\t%v\t%v\t%v\n", run.Mode, rd(run.Wall), run.RequestsPS,
			run.OK, run.Failed, run.Skipped, run.Retried, size(run.Bytes), rd(run.P50), rd(run.P95), rd(run.Max))
	}
	if r.Speedup > 0 {
		fmt.Fprintf(tw, "\nspeed-up: %.1fx (concurrent vs serial)", r.Speedup)
		if r.IdealSpeedup > 0 {
			fmt.Fprintf(tw, "; ideal for this list %.1fx (bounded by %s)", r.IdealSpeedup, r.IdealBound)
		}
		fmt.Fprintln(tw)
	} else if r.IdealSpeedup > 0 {
		fmt.Fprintf(tw, "\nideal speed-up for this list: %.1fx (bounded by %s)\n", r.IdealSpeedup, r.IdealBound)
	}
	if last != nil {
		if line := last.summaryLine(); line != "" {
			fmt.Fprintf(tw, "%s\n", line)
		}
	}
	if r.Interrupted {
		fmt.Fprintf(tw, "\ninterrupted: the report shows what was done\n")
	}
	if last != nil {
		fmt.Fprintf(tw, "\nper URL (%s):\nstatus\tsize\ttime\ttries\tlines\turl\n", last.Mode)
		for _, x := range last.Results {
			lines := joinInts(x.Lines)
			switch {
			case x.Skipped != "":
				fmt.Fprintf(tw, "SKIP\t-\t-\t0\t%s\t%s: %s\n", lines, x.URL, x.Skipped)
			case x.OK():
				fmt.Fprintf(tw, "%d\t%s\t%v\t%d\t%s\t%s\n", x.Status, size(x.Bytes), rd(x.Duration), x.Attempts, lines, x.URL)
			default:
				fmt.Fprintf(tw, "ERR\t-\t%v\t%d\t%s\t%s: %s\n", rd(x.Duration), x.Attempts, lines, x.URL, oneLine(x.Error))
			}
		}
	}
	return tw.Flush()
}

// summaryLine is the status classes, duplicates and robots.txt counts of
// a run, for the text report and the command's stderr.
func (r *Run) summaryLine() string {
	var parts []string
	if len(r.StatusClasses) > 0 {
		keys := slices.Sorted(maps.Keys(r.StatusClasses))
		var cl []string
		for _, k := range keys {
			cl = append(cl, fmt.Sprintf("%s %d", k, r.StatusClasses[k]))
		}
		parts = append(parts, "status "+strings.Join(cl, ", "))
	}
	if r.FailedStatus > 0 {
		parts = append(parts, fmt.Sprintf("%d counted as failed by status", r.FailedStatus))
	}
	if r.Errors > 0 {
		parts = append(parts, fmt.Sprintf("%d errors", r.Errors))
	}
	if r.Duplicates > 0 {
		parts = append(parts, fmt.Sprintf("%d duplicate lines", r.Duplicates))
	}
	if r.RobotsFetches > 0 {
		parts = append(parts, fmt.Sprintf("%d robots.txt fetches", r.RobotsFetches))
	}
	if r.Attempts > r.URLs-r.Skipped {
		parts = append(parts, fmt.Sprintf("%d requests", r.Attempts))
	}
	return strings.Join(parts, "; ")
}

func joinInts(v []int) string {
	var b strings.Builder
	for i, n := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

func rd(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(10 * time.Millisecond)
	case d > time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
