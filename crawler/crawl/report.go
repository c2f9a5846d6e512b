package crawl

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is the outcome of one URL: its status and size, or the error.
type Result struct {
	URL       string        `json:"url"`
	FinalURL  string        `json:"final_url,omitempty"`
	Status    int           `json:"status,omitempty"`
	Bytes     int64         `json:"bytes"`
	Duration  time.Duration `json:"duration_ns"`
	Redirects int           `json:"redirects,omitempty"`
	Error     string        `json:"error,omitempty"`
	Err       error         `json:"-"` // usable with errors.Is (ErrTimeout, ErrBodyTooLarge, ...)
}

// OK reports whether the URL was fetched without error (any HTTP status).
func (r Result) OK() bool { return r.Err == nil }

// Run is one mode's pass over the list.
type Run struct {
	Mode       Mode          `json:"mode"`
	Wall       time.Duration `json:"wall_ns"`
	RequestsPS float64       `json:"requests_per_second"`
	OK         int           `json:"ok"`
	Failed     int           `json:"failed"`
	Bytes      int64         `json:"bytes"`
	P50        time.Duration `json:"p50_ns"`
	P95        time.Duration `json:"p95_ns"`
	Max        time.Duration `json:"max_ns"`
	Results    []Result      `json:"results"` // in the order of the input list
}

func newRun(m Mode, results []Result, wall time.Duration) *Run {
	r := &Run{Mode: m, Wall: wall, Results: results}
	lat := make([]time.Duration, 0, len(results))
	for _, x := range results {
		if x.OK() {
			r.OK++
		} else {
			r.Failed++
		}
		r.Bytes += x.Bytes
		lat = append(lat, x.Duration)
	}
	if wall > 0 {
		r.RequestsPS = float64(len(results)) / wall.Seconds()
	}
	slices.Sort(lat)
	r.P50, r.P95 = percentile(lat, 50), percentile(lat, 95)
	if len(lat) > 0 {
		r.Max = lat[len(lat)-1]
	}
	return r
}

// percentile of sorted d by the nearest-rank method.
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := (p*len(d)+99)/100 - 1
	return d[max(i, 0)]
}

// Report is what Crawl returns: each mode's run and the comparison.
type Report struct {
	URLs        int           `json:"urls"`
	Concurrency int           `json:"concurrency"`
	Serial      *Run          `json:"serial,omitempty"`
	Concurrent  *Run          `json:"concurrent,omitempty"`
	Speedup     float64       `json:"speedup,omitempty"` // serial wall / concurrent wall
	Interrupted bool          `json:"interrupted,omitempty"`
	Problems    []LineProblem `json:"skipped_lines,omitempty"` // filled by the caller from ParseURLList
}

// Failed reports the number of URLs that failed in any mode.
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
// speed-up, then the per-URL table of the last mode run.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range r.Problems {
		fmt.Fprintf(tw, "skipped %s\n", p)
	}
	fmt.Fprintf(tw, "%d URLs, concurrency %d\n\n", r.URLs, r.Concurrency)
	fmt.Fprintf(tw, "mode\twall\treq/s\tok\tfailed\tbytes\tp50\tp95\tmax\n")
	var last *Run
	for _, run := range []*Run{r.Serial, r.Concurrent} {
		if run == nil {
			continue
		}
		last = run
		fmt.Fprintf(tw, "%s\t%v\t%.1f\t%d\t%d\t%s\t%v\t%v\t%v\n", run.Mode, rd(run.Wall), run.RequestsPS,
			run.OK, run.Failed, size(run.Bytes), rd(run.P50), rd(run.P95), rd(run.Max))
	}
	if r.Speedup > 0 {
		fmt.Fprintf(tw, "\nspeed-up: %.1fx (concurrent vs serial)\n", r.Speedup)
	}
	if r.Interrupted {
		fmt.Fprintf(tw, "\ninterrupted: the report shows what was done\n")
	}
	if last != nil {
		fmt.Fprintf(tw, "\nper URL (%s):\nstatus\tsize\ttime\turl\n", last.Mode)
		for _, x := range last.Results {
			if x.OK() {
				fmt.Fprintf(tw, "%d\t%s\t%v\t%s\n", x.Status, size(x.Bytes), rd(x.Duration), x.URL)
			} else {
				fmt.Fprintf(tw, "ERR\t-\t%v\t%s: %s\n", rd(x.Duration), x.URL, oneLine(x.Error))
			}
		}
	}
	return tw.Flush()
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
