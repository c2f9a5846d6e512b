package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/geventgo/geventgo/crawler/crawl"
	"github.com/geventgo/geventgo/internal/natsembed"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// distFlags are the flags of a crawl shared on NATS JetStream: `crawler
// serve` and `crawler -workers N`.
type distFlags struct {
	workers    int
	listen     string
	store      string
	natsURL    string
	name       string
	partitions int
	ackWait    time.Duration
	leaseTTL   time.Duration
}

func (d *distFlags) register(fs *flag.FlagSet, cmd string) {
	listen := "127.0.0.1:0"
	if cmd == "serve" {
		listen = ":4222"
	} else {
		fs.IntVar(&d.workers, "workers", 0, "crawl with this many worker processes of this binary and an embedded NATS server (0: in this process)")
	}
	fs.StringVar(&d.listen, "listen", listen, "address of the embedded NATS server (serve, -workers)")
	fs.StringVar(&d.store, "store", "", "JetStream store directory of the embedded server; the same one resumes the crawl (default: a new temporary one)")
	fs.StringVar(&d.natsURL, "nats", "", "use this NATS server (with JetStream) instead of embedding one")
	fs.StringVar(&d.name, "name", "crawl", "name of the crawl on the NATS server")
	fs.IntVar(&d.partitions, "partitions", 64, "partitions the hosts are hashed into: the most workers that share the crawl")
	fs.DurationVar(&d.ackWait, "ack-wait", 30*time.Second, "a URL held by a worker that gives no news this long is given to another")
	fs.DurationVar(&d.leaseTTL, "lease-ttl", 10*time.Second, "a dead worker's partitions pass to others after this")
}

func (d *distFlags) enabled(cmd string) bool { return cmd == "serve" || d.workers > 0 }

// check returns the usage error of a shared crawl's flags.
func (d *distFlags) check(cmd string, m crawl.Mode, args int) error {
	switch {
	case d.workers < 0:
		return errors.New("-workers must be >= 0")
	case !d.enabled(cmd):
		return nil
	case m == crawl.Serial:
		return errors.New("a serial crawl needs no workers: drop -mode serial or -workers")
	case cmd == "serve" && args == 0:
		return errors.New("serve needs a list (a file or - for stdin)")
	case d.natsURL != "" && d.store != "":
		return errors.New("-store is the embedded server's; with -nats the store is that server's")
	}
	return nil
}

// distEnv is a shared crawl's set-up: the NATS server (embedded or not),
// the connection, and the worker processes of -workers.
type distEnv struct {
	ctx      context.Context // the crawl's: cancelled if every worker exits early
	cancel   context.CancelCauseFunc
	frontier crawl.Frontier
	srv      *natsembed.Server
	nc       *nats.Conn
	tmpStore string
	children []*exec.Cmd
	exited   chan struct{} // closed when every child has exited
	stderr   io.Writer
	leaseTTL time.Duration
}

// startDist starts what a shared crawl needs; nil and an exit code on
// failure (reported on stderr).
func startDist(ctx context.Context, d distFlags, cmd string, o crawl.Options, stderr io.Writer) (*distEnv, int) {
	env := &distEnv{stderr: stderr, leaseTTL: d.leaseTTL, exited: make(chan struct{})}
	env.ctx, env.cancel = context.WithCancelCause(ctx)
	fail := func(err error) (*distEnv, int) {
		fmt.Fprintln(stderr, "crawler:", err)
		env.close()
		return nil, 1
	}
	url := d.natsURL
	if url == "" {
		dir := d.store
		if dir == "" {
			var err error
			if dir, err = os.MkdirTemp("", "crawler-jetstream-"); err != nil {
				return fail(err)
			}
			if cmd == "serve" {
				fmt.Fprintf(stderr, "crawler: JetStream store in %s (-store %s resumes this crawl)\n", dir, dir)
			} else {
				env.tmpStore = dir
			}
		}
		srv, err := natsembed.Start(d.listen, dir)
		if err != nil {
			return fail(fmt.Errorf("embedded NATS server: %w", err))
		}
		env.srv = srv
		url = srv.ClientURL()
		if cmd == "serve" {
			fmt.Fprintf(stderr, "crawler: NATS listening on %s; start workers with: crawler work -nats nats://%s -name %s\n", srv.Addr(), srv.Addr(), d.name)
		}
	}
	nc, err := nats.Connect(url, nats.Name("crawler coordinator"))
	if err != nil {
		return fail(fmt.Errorf("connecting to NATS at %s: %w", url, err))
	}
	env.nc = nc
	js, err := jetstream.New(nc)
	if err != nil {
		return fail(err)
	}
	env.frontier = crawl.Frontier{JetStream: js, Name: d.name, Partitions: d.partitions, AckWait: d.ackWait, LeaseTTL: d.leaseTTL}
	if d.workers > 0 {
		exe, err := os.Executable()
		if err != nil {
			return fail(err)
		}
		childErr := stderr
		if _, ok := stderr.(*os.File); !ok {
			childErr = &lockedWriter{w: stderr} // the children's copiers share it
		}
		for i := range d.workers {
			c := exec.Command(exe, "work", "-nats", url, "-name", d.name, "-id", fmt.Sprintf("worker%d-%d", i+1, os.Getpid()))
			c.Stderr = childErr
			c.SysProcAttr = childAttr()
			if err := c.Start(); err != nil {
				return fail(fmt.Errorf("starting worker %d: %w", i+1, err))
			}
			env.children = append(env.children, c)
		}
		var wg sync.WaitGroup
		for _, c := range env.children {
			wg.Go(func() { _ = c.Wait() })
		}
		go func() {
			wg.Wait()
			close(env.exited)
			env.cancel(errors.New("every worker process exited before the crawl was done"))
		}()
	} else {
		close(env.exited)
	}
	return env, 0
}

// close ends the workers (they return by themselves once the crawl is
// done; after an interrupt they are told to stop), then the connection
// and the embedded server.
func (e *distEnv) close() {
	if len(e.children) > 0 {
		select {
		case <-e.exited:
		case <-time.After(2 * e.leaseTTL):
		case <-e.ctx.Done():
		}
		for _, c := range e.children {
			if c.ProcessState == nil {
				_ = c.Process.Signal(syscall.SIGTERM) // no-op once exited
			}
		}
		select {
		case <-e.exited:
		case <-time.After(10 * time.Second):
			for _, c := range e.children {
				_ = c.Process.Kill()
			}
			<-e.exited
		}
	}
	e.cancel(nil)
	if e.nc != nil {
		e.nc.Close()
	}
	if e.srv != nil {
		e.srv.Shutdown()
	}
	if e.tmpStore != "" {
		_ = os.RemoveAll(e.tmpStore)
	}
}

// runWork is `crawler work`: one worker of a shared crawl.
func runWork(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("crawler work", flag.ContinueOnError)
	fs.SetOutput(stderr)
	natsURL := fs.String("nats", "nats://127.0.0.1:4222", "the crawl's NATS server (crawler serve prints it)")
	name := fs.String("name", "crawl", "name of the crawl on the NATS server")
	conc := fs.Int("c", 0, "requests in flight in this worker (0: the crawl's -c)")
	id := fs.String("id", "", "this worker's name in leases and results (default host-pid-random)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: crawler work [flags]\n(a worker of the crawl of `crawler serve`; fetch, politeness and retry settings are the crawl's)\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "crawler work: no list: the coordinator (crawler serve) has it")
		fs.Usage()
		return 2
	}
	nc, err := nats.Connect(*natsURL, nats.Name("crawler worker"), nats.RetryOnFailedConnect(true))
	if err != nil {
		fmt.Fprintln(stderr, "crawler work:", err)
		return 1
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		fmt.Fprintln(stderr, "crawler work:", err)
		return 1
	}
	stats, err := crawl.Frontier{JetStream: js, Name: *name}.Work(ctx, crawl.WorkOptions{Concurrency: *conc, ID: *id})
	switch {
	case err == nil:
		return 0
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "crawler work: interrupted after %s results; the URLs held went back to the queue\n", strconv.Itoa(stats.Published))
		return 130
	}
	fmt.Fprintln(stderr, "crawler work:", err)
	return 1
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
