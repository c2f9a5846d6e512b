package crawl

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// retryable reports whether an attempt's outcome is worth another try: a
// 429 or 5xx status, a timeout, or a connection error (refused, reset,
// closed mid-response, a DNS failure that is not "no such host"). A 404,
// a certificate error, a body over the limit, a redirect loop or a
// cancelled crawl are final.
func retryable(ctx context.Context, res Result) bool {
	if ctx.Err() != nil {
		return false
	}
	if res.Err == nil {
		return res.Status == fasthttp.StatusTooManyRequests || (res.Status >= 500 && res.Status <= 599)
	}
	err := res.Err
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.Is(err, ErrBodyTooLarge), errors.Is(err, ErrTooManyRedirects),
		errors.Is(err, context.Canceled),
		errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid):
		return false
	case errors.As(err, &dnsErr):
		return !dnsErr.IsNotFound
	case errors.Is(err, ErrTimeout), errors.Is(err, fasthttp.ErrConnectionClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr)
}

// backoff is the wait before retry number n (1 for the first retry):
// base doubled n-1 times, capped at max, plus a random extra of up to
// jitter times that (capped at max again). It is never less than the
// exponential step, so the waits only grow.
func backoff(n int, base, max time.Duration, jitter float64) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	if jitter > 0 {
		d += time.Duration(float64(d) * jitter * rand.Float64())
	}
	return min(d, max)
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an
// HTTP-date (RFC 9110 10.2.3). It returns 0 for an absent, malformed or
// past value.
func parseRetryAfter(v []byte, now func() time.Time) time.Duration {
	s := strings.TrimSpace(string(v))
	if s == "" {
		return 0
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, 1<<32)) * time.Second // capped: no overflow
	}
	t, err := http.ParseTime(s)
	if err != nil {
		return 0
	}
	return max(t.Sub(now()), 0)
}
