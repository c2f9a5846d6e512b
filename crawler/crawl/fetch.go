package crawl

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/geventgo/geventgo/gevent"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpproxy"
)

// Sentinel errors of a fetch, usable with errors.Is on Result.Err.
var (
	// ErrTooManyRedirects: the redirect chain was longer than MaxRedirects
	// (a redirect loop ends here).
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrBodyTooLarge: the body was bigger than MaxBody.
	ErrBodyTooLarge = errors.New("body too large")
	// ErrTimeout: the request did not finish within Options.Timeout. It
	// is gevent.ErrTimeout itself (one sentinel per meaning: a time limit
	// ran out), so errors.Is(r.Err, gevent.ErrTimeout) holds too, and a
	// fetch's timeout error also matches context.DeadlineExceeded, as
	// gevent's own timeouts do.
	ErrTimeout = gevent.ErrTimeout
)

// fetcher wraps a fasthttp.Client with every fasthttp default that would
// hurt a crawler replaced: no redirects by Do, unlimited body, ErrNoFreeConns
// without a wait timeout, unlimited read/write timeouts.
//
// fasthttp has no context API: to stop requests in flight when the crawl's
// context is cancelled, the fetcher keeps every connection it dialled and
// then moves their deadlines to the past, which fails the blocked reads and
// writes at once.
type fetcher struct {
	c       *fasthttp.Client
	opts    Options
	ctx     context.Context
	stop    func() bool // unregisters abort from ctx
	mu      sync.Mutex
	conns   map[*abortConn]struct{}
	aborted bool
}

func newFetcher(ctx context.Context, o Options) *fetcher {
	c := &fasthttp.Client{
		Name:                o.UserAgent,
		ReadTimeout:         o.Timeout,
		WriteTimeout:        o.Timeout,
		MaxConnsPerHost:     o.PerHost,
		MaxConnWaitTimeout:  o.Timeout, // without it a full host gives ErrNoFreeConns at once
		MaxResponseBodySize: int(o.MaxBody),
		// Short, so fasthttp's idle cleaners exit soon after Crawl returns;
		// a crawl keeps its connections busy, so reuse does not suffer.
		MaxIdleConnDuration: 100 * time.Millisecond,
		TLSConfig:           o.TLSConfig,
		// One request per attempt: the crawl retries with backoff itself
		// and counts the attempts (fasthttp would retry at once, unseen).
		MaxIdemponentCallAttempts: 1,
	}
	f := &fetcher{c: c, opts: o, ctx: ctx, conns: make(map[*abortConn]struct{})}
	if o.Dial == nil && proxyFromEnv() {
		// HTTP_PROXY, HTTPS_PROXY and NO_PROXY, read now: fasthttpproxy's
		// dialer tunnels through the proxy with CONNECT, picks the proxy
		// by the host client's scheme, and dials NO_PROXY hosts (and
		// loopback addresses, as net/http does) directly.
		// One dialer (and DNS cache) for the crawl, a dial function per
		// scheme.
		pd := &fasthttpproxy.Dialer{Timeout: o.Timeout, ConnectTimeout: o.Timeout}
		pd.DNSCacheDuration = 10 * time.Second
		var dials [2]fasthttp.DialFunc
		var errs [2]error
		for i, isTLS := range []bool{false, true} {
			dials[i], errs[i] = pd.GetDialFuncForTLS(true, isTLS)
		}
		c.ConfigureClient = func(hc *fasthttp.HostClient) error {
			i := 0
			if hc.IsTLS {
				i = 1
			}
			if errs[i] != nil {
				return fmt.Errorf("proxy from the environment: %w", errs[i])
			}
			dial := dials[i]
			hc.Dial = func(addr string) (net.Conn, error) {
				conn, err := dial(addr)
				if err != nil {
					return nil, err
				}
				return f.track(conn), nil
			}
			return nil
		}
	} else {
		dial := o.Dial
		if dial == nil {
			d := &net.Dialer{Timeout: o.Timeout}
			dial = d.DialContext
		}
		c.Dial = func(addr string) (net.Conn, error) {
			// Resolution and connect bounded by the per-request timeout, and
			// by the crawl's context.
			dctx, cancel := context.WithTimeout(ctx, o.Timeout)
			defer cancel()
			conn, err := dial(dctx, "tcp", addr)
			if err != nil {
				return nil, err
			}
			return f.track(conn), nil
		}
	}
	if c.TLSConfig == nil {
		c.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	f.stop = context.AfterFunc(ctx, f.abort)
	return f
}

// proxyFromEnv reports whether HTTP_PROXY or HTTPS_PROXY (either case) is
// set: only then does the crawl dial through fasthttpproxy.
func proxyFromEnv() bool {
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}

func (f *fetcher) close() {
	f.stop()
	f.c.CloseIdleConnections()
}

// abortConn is a connection of the fetcher: it leaves the fetcher's set
// when fasthttp closes it, and once aborted it keeps its deadline in the
// past, whatever deadline fasthttp sets for its next read or write.
type abortConn struct {
	net.Conn
	f       *fetcher
	once    sync.Once
	mu      sync.Mutex // orders abort against fasthttp's deadline calls
	aborted bool
}

// expired is a deadline in the past: blocked I/O fails at once.
var expired = time.Unix(1, 0)

func (c *abortConn) abort() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.aborted = true
	_ = c.Conn.SetDeadline(expired)
}

func (c *abortConn) SetDeadline(t time.Time) error {
	return c.setDeadline(t, c.Conn.SetDeadline)
}

func (c *abortConn) SetReadDeadline(t time.Time) error {
	return c.setDeadline(t, c.Conn.SetReadDeadline)
}

func (c *abortConn) SetWriteDeadline(t time.Time) error {
	return c.setDeadline(t, c.Conn.SetWriteDeadline)
}

func (c *abortConn) setDeadline(t time.Time, set func(time.Time) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted {
		t = expired
	}
	return set(t)
}

func (c *abortConn) Close() error {
	c.once.Do(func() {
		c.f.mu.Lock()
		delete(c.f.conns, c)
		c.f.mu.Unlock()
	})
	return c.Conn.Close()
}

// track adds conn to the set, already expired if the crawl was cancelled.
func (f *fetcher) track(conn net.Conn) net.Conn {
	c := &abortConn{Conn: conn, f: f}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.aborted {
		c.abort()
		return c
	}
	f.conns[c] = struct{}{}
	return c
}

// abort cuts every connection's blocked I/O: the crawl was cancelled.
func (f *fetcher) abort() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.aborted = true
	for c := range f.conns {
		c.abort()
	}
}

// attempt is one fetch of a URL: its result, the server's Retry-After
// (0 when absent) and, when asked for, the body.
type attempt struct {
	res        Result
	retryAfter time.Duration
	body       []byte
}

// fetch gets url, following up to MaxRedirects redirects, all within one
// per-request timeout, and fills a Result (never panics, never hangs past
// the timeout). With keepBody the body is copied out (robots.txt).
func (f *fetcher) fetch(ctx context.Context, url string, keepBody bool, now func() time.Time) (a attempt) {
	res := &a.res
	res.URL = url
	start := time.Now()
	defer func() { res.Duration = time.Since(start) }()
	if err := ctx.Err(); err != nil {
		res.Err, res.Error = err, err.Error()
		return a
	}
	deadline := start.Add(f.opts.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(url)
	req.Header.SetUserAgent(f.opts.UserAgent)
	var err error
	for hop := 0; ; hop++ {
		err = f.c.DoDeadline(req, resp, deadline)
		if err != nil {
			break
		}
		code := resp.StatusCode()
		if !fasthttp.StatusCodeIsRedirect(code) || len(resp.Header.Peek("Location")) == 0 {
			break
		}
		if hop >= f.opts.MaxRedirects {
			err = fmt.Errorf("%w (more than %d)", ErrTooManyRedirects, f.opts.MaxRedirects)
			break
		}
		req.URI().UpdateBytes(resp.Header.Peek("Location"))
		if code == fasthttp.StatusSeeOther {
			req.Header.SetMethod(fasthttp.MethodGet)
		}
		res.Redirects++
		resp.Reset()
	}
	res.FinalURL = req.URI().String()
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (in flight: %w)", ctx.Err(), err) // cut by abort
		res.Err, res.Error = err, err.Error()
		return a
	}
	if err != nil {
		res.Err = classify(err, f.opts)
		res.Error = res.Err.Error()
		return a
	}
	res.Status = resp.StatusCode()
	res.Bytes = int64(len(resp.Body()))
	a.retryAfter = parseRetryAfter(resp.Header.Peek("Retry-After"), now)
	if keepBody {
		a.body = append([]byte(nil), resp.Body()...)
	}
	return a
}

// classify turns fasthttp's errors into the package's sentinels where one
// fits, keeping the original error wrapped.
func classify(err error, o Options) error {
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return fmt.Errorf("%w (limit %d bytes): %w", ErrBodyTooLarge, o.MaxBody, err)
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout),
		errors.Is(err, context.DeadlineExceeded), isNetTimeout(err):
		return &timeoutError{o.Timeout, err}
	}
	return err
}

// timeoutError is a fetch that ran out of Options.Timeout: it reads
// "timeout after 10s: <fasthttp's error>" and matches ErrTimeout,
// context.DeadlineExceeded and the original error.
type timeoutError struct {
	after time.Duration
	err   error
}

func (e *timeoutError) Error() string {
	return "timeout after " + e.after.String() + ": " + e.err.Error()
}

func (e *timeoutError) Unwrap() []error { return []error{ErrTimeout, context.DeadlineExceeded, e.err} }

func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
