// Command crawler fetches a list of URLs once serially and once
// concurrently on green threads and prints the comparison: the classic gevent tutorial's
// "fetch pages serially and with gevent", with the real speed-up.
//
//	go run ./crawler urls.txt     # one URL a line; '-' reads stdin
//	go run ./crawler              # embedded demo on a local server, no network
//
// A crawl can be shared by processes on many machines through NATS
// JetStream (crawl.Frontier):
//
//	crawler serve -listen :4222 urls.txt      # coordinator, embedded NATS server
//	crawler work -nats nats://coord:4222      # a worker, on any machine
//	crawler -workers 4 urls.txt               # both on one machine: 4 worker processes
//
// The exit code is 0 on success, 1 when any URL failed and -fail-on-error
// is set (the default: a crawl that lost pages should be noticed by
// scripts; pass -fail-on-error=false to only report), 2 on usage errors,
// 130 when interrupted by Ctrl-C (the report of what was done is printed).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/geventgo/geventgo/crawler/crawl"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

func main() {
	// Ctrl-C (or SIGTERM) cancels the crawl; what was done is reported.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // a second Ctrl-C kills at once
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command, with ctx cancelled on an interrupt; it returns the
// exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := ""
	if len(args) > 0 && (args[0] == "serve" || args[0] == "work") {
		cmd, args = args[0], args[1:]
	}
	if cmd == "work" {
		return runWork(ctx, args, stderr)
	}
	fs := flag.NewFlagSet("crawler "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o crawl.Options
	mode := fs.String("mode", "both", "serial, concurrent or both (-jsonl: concurrent unless serial)")
	fs.IntVar(&o.Concurrency, "c", 50, "concurrent requests (green threads) in concurrent mode")
	fs.DurationVar(&o.Timeout, "timeout", 10e9, "per-request timeout (DNS, connect, redirects and body included)")
	fs.Int64Var(&o.MaxBody, "max-body", 10<<20, "largest body in bytes; bigger is a per-URL error")
	maxRedirects := fs.Int("max-redirects", 10, "redirects followed before a per-URL error (0: none)")
	fs.IntVar(&o.PerHost, "per-host", 512, "connections per host")
	fs.StringVar(&o.UserAgent, "user-agent", "geventgo-crawler/1", "User-Agent header, and the agent matched in robots.txt")
	hostConc := fs.Int("host-concurrency", 4, "requests in flight per host (scheme, host and port; 0: no limit but -c)")
	fs.DurationVar(&o.HostDelay, "host-delay", 0, "least time between the starts of two requests to one host")
	fs.Float64Var(&o.HostRate, "host-rate", 0, "most requests a second to one host (0: no limit); with -host-delay the slower wins")
	jitter := fs.Float64("jitter", 0.5, "random extra of up to this fraction on host delays and retry backoffs (0: none)")
	retries := fs.Int("retries", 2, "retries after a timeout, connection error, 429 or 5xx (0: none); 404 and the like are final")
	fs.DurationVar(&o.RetryBackoff, "retry-backoff", 500e6, "wait before the first retry, doubled each next one; Retry-After raises it")
	fs.DurationVar(&o.MaxBackoff, "max-backoff", 30e9, "longest wait before a retry; a longer Retry-After ends the retries")
	fs.BoolVar(&o.Robots, "robots", false, "fetch robots.txt once per host and skip what it disallows for -user-agent")
	fs.IntVar(&o.Lookahead, "lookahead", 0, "URLs read ahead of the requests so other hosts find work (0: max(1000, 16*c))")
	failOnError := fs.Bool("fail-on-error", true, "exit 1 when any URL failed (an error, or a status in -fail-status)")
	failStatus := fs.String("fail-status", "", "statuses counted as failures, e.g. 5xx or 429,5xx (default none: a status is a page)")
	asJSON := fs.Bool("json", false, "write the report as JSON")
	asJSONL := fs.Bool("jsonl", false, "stream one JSON object per URL as it finishes, the summary last; reads the list as a stream")
	var d distFlags
	d.register(fs, cmd)
	fs.Usage = func() {
		if cmd == "serve" {
			fmt.Fprintf(stderr, "usage: crawler serve [flags] urls.txt | -\n(the coordinator of a crawl shared by `crawler work` processes)\n")
		} else {
			fmt.Fprintf(stderr, "usage: crawler [flags] [urls.txt | -]\n       crawler serve [flags] urls.txt | -\n       crawler work [flags]\n(no file: embedded demo on local servers)\n")
		}
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	modeSet := false
	fs.Visit(func(f *flag.Flag) { modeSet = modeSet || f.Name == "mode" })
	if (*asJSONL || cmd == "serve") && !modeSet {
		*mode = string(crawl.Concurrent)
	}
	m, err := crawl.ParseMode(*mode)
	if err == nil {
		err = d.check(cmd, m, fs.NArg())
	}
	if err == nil && *asJSONL && m == crawl.Both {
		err = errors.New("-jsonl streams one pass: -mode serial or concurrent")
	}
	if err == nil && *asJSON && *asJSONL {
		err = errors.New("-json and -jsonl exclude each other")
	}
	if err == nil {
		o.FailStatus, err = crawl.ParseStatusSet(*failStatus)
	}
	if err == nil && fs.NArg() > 1 {
		err = errors.New("at most one list")
	}
	if err != nil {
		fmt.Fprintln(stderr, "crawler:", err)
		fs.Usage()
		return 2
	}
	o.Mode = m
	// In the options a zero is "the default"; on the command line it is zero.
	o.MaxRedirects = orNone(*maxRedirects)
	o.Retries = orNone(*retries)
	o.HostConcurrency = orNone(*hostConc)
	o.Jitter = *jitter
	if o.Jitter == 0 {
		o.Jitter = -1
	}

	var in io.Reader
	if fs.NArg() == 0 {
		demo, err := crawl.StartDemoServer()
		if err != nil {
			fmt.Fprintln(stderr, "crawler: demo:", err)
			return 1
		}
		defer demo.Close()
		in = strings.NewReader(strings.Join(demo.URLs(), "\n"))
	} else {
		in = stdin
		if name := fs.Arg(0); name != "-" {
			f, err := os.Open(name)
			if err != nil {
				fmt.Fprintln(stderr, "crawler:", err)
				return 2
			}
			defer f.Close()
			in = f
		}
	}
	crawlReader, stream := crawl.CrawlReader, streamFunc(crawl.Stream)
	if d.enabled(cmd) {
		env, code := startDist(ctx, d, cmd, o, stderr)
		if env == nil {
			return code
		}
		defer env.close()
		ctx = env.ctx
		crawlReader, stream = env.frontier.Crawl, env.frontier.Serve
	}
	if *asJSONL {
		return runJSONL(ctx, stream, in, o, stdout, stderr, *failOnError)
	}

	var bar *progressbar.ProgressBar
	if f, ok := stdout.(*os.File); ok && !*asJSON && term.IsTerminal(int(f.Fd())) {
		var mu sync.Mutex
		var cur crawl.Mode
		o.Progress = func(m crawl.Mode, done, total int) {
			mu.Lock()
			defer mu.Unlock()
			if m != cur || bar == nil {
				if bar != nil {
					_ = bar.Finish()
				}
				cur = m
				bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription(string(m)), progressbar.OptionClearOnFinish())
			}
			_ = bar.Set(done)
		}
	}
	rep, err := crawlReader(ctx, in, o)
	if bar != nil {
		_ = bar.Finish()
	}
	if rep == nil {
		fmt.Fprintln(stderr, "crawler:", err)
		return 2
	}
	if err != nil && !rep.Interrupted {
		fmt.Fprintln(stderr, "crawler:", err) // a read error: the report has what was read
	}
	if *asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "crawler:", err)
		return 1
	}
	switch {
	case rep.Interrupted:
		return 130
	case *failOnError && rep.Failed() > 0:
		return 1
	}
	return 0
}

// runJSONL streams the crawl of in to stdout, one JSON object a line, the
// summary ({"type":"summary",...}) last.
func runJSONL(ctx context.Context, stream streamFunc, in io.Reader, o crawl.Options, stdout, stderr io.Writer, failOnError bool) int {
	w := bufio.NewWriterSize(stdout, 64<<10)
	// A terminal or a pipe sees each object as it is done; a file gets
	// full buffers.
	flushEach := true
	if f, ok := stdout.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			flushEach = false
		}
	}
	enc := json.NewEncoder(w)
	run, err := stream(ctx, in, o, func(ev crawl.Event) error {
		if err := enc.Encode(ev); err != nil {
			return err
		}
		if flushEach {
			return w.Flush()
		}
		return nil
	})
	if run == nil {
		fmt.Fprintln(stderr, "crawler:", err)
		return 2
	}
	summary := struct {
		Type string `json:"type"`
		*crawl.Run
		Error string `json:"error,omitempty"`
	}{Type: "summary", Run: run}
	if err != nil {
		summary.Error = err.Error()
	}
	encErr := enc.Encode(summary)
	if flushErr := w.Flush(); encErr == nil {
		encErr = flushErr
	}
	if encErr != nil {
		fmt.Fprintln(stderr, "crawler:", encErr)
		return 1
	}
	switch {
	case run.Interrupted:
		return 130
	case err != nil:
		fmt.Fprintln(stderr, "crawler:", err)
		return 1
	case failOnError && run.Failed > 0:
		return 1
	}
	return 0
}

// streamFunc is crawl.Stream or a Frontier's Serve.
type streamFunc func(ctx context.Context, r io.Reader, o crawl.Options, emit func(crawl.Event) error) (*crawl.Run, error)

// orNone maps a command-line 0 ("none") to the options' -1.
func orNone(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
