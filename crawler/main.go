// Command crawler fetches a list of URLs once serially and once
// concurrently on green threads and prints the comparison: the classic gevent tutorial's
// "fetch pages serially and with gevent", with the real speed-up.
//
//	go run ./crawler urls.txt     # one URL a line; '-' reads stdin
//	go run ./crawler              # embedded demo on a local server, no network
//
// The exit code is 0 on success, 1 when any URL failed and -fail-on-error
// is set (the default: a crawl that lost pages should be noticed by
// scripts; pass -fail-on-error=false to only report), 2 on usage errors,
// 130 when interrupted by Ctrl-C (the report of what was done is printed).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/geventgo/geventgo/crawler/crawl"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

func main() {
	// Ctrl-C (or SIGTERM) cancels the crawl; what was done is reported.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command, with ctx cancelled on an interrupt; it returns the
// exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("crawler", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o crawl.Options
	mode := fs.String("mode", "both", "serial, concurrent or both")
	fs.IntVar(&o.Concurrency, "c", 50, "concurrent requests (green threads) in concurrent mode")
	fs.DurationVar(&o.Timeout, "timeout", 10e9, "per-request timeout (DNS, connect, redirects and body included)")
	fs.Int64Var(&o.MaxBody, "max-body", 10<<20, "largest body in bytes; bigger is a per-URL error")
	fs.IntVar(&o.MaxRedirects, "max-redirects", 10, "redirects followed before a per-URL error")
	fs.IntVar(&o.PerHost, "per-host", 512, "connections per host")
	fs.StringVar(&o.UserAgent, "user-agent", "geventgo-crawler/1", "User-Agent header")
	failOnError := fs.Bool("fail-on-error", true, "exit 1 when any URL failed")
	asJSON := fs.Bool("json", false, "write the report as JSON")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: crawler [flags] [urls.txt | -]\n(no file: embedded demo on a local server)\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	m, err := crawl.ParseMode(*mode)
	if err != nil || fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	o.Mode = m

	var urls []string
	var problems []crawl.LineProblem
	if fs.NArg() == 0 {
		demo, err := crawl.StartDemoServer()
		if err != nil {
			fmt.Fprintln(stderr, "crawler: demo:", err)
			return 1
		}
		defer demo.Close()
		urls = demo.URLs()
	} else {
		in := stdin
		if name := fs.Arg(0); name != "-" {
			f, err := os.Open(name)
			if err != nil {
				fmt.Fprintln(stderr, "crawler:", err)
				return 2
			}
			defer f.Close()
			in = f
		}
		urls, problems, err = crawl.ParseURLList(in)
		if err != nil {
			fmt.Fprintln(stderr, "crawler: reading list:", err)
			return 2
		}
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
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription(string(m)), progressbar.OptionClearOnFinish())
			}
			_ = bar.Set(done)
		}
	}
	rep, err := crawl.Crawl(ctx, urls, o)
	if bar != nil {
		_ = bar.Finish()
	}
	if rep == nil {
		fmt.Fprintln(stderr, "crawler:", err)
		return 2
	}
	rep.Problems = problems
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
