package crawl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Frontier is a crawl shared by many processes, on many machines, through
// NATS JetStream: one Serve (the coordinator) enqueues a list and collects
// the results, any number of Work calls (the workers) take URLs, fetch them
// and publish what they got. The zero value but for JetStream is usable.
// A Frontier is a description: copy it freely; its methods are safe to
// call concurrently.
//
// What is in JetStream, for a crawl named N (Name upper-cased):
//   - stream CRAWL_N_WORK (work-queue retention, file storage): one message
//     per distinct URL, on subject crawl.<name>.work.<partition>, with the
//     URL's hash as its message id (JetStream drops a repeat within its
//     duplicate window); one durable pull consumer per partition;
//   - stream CRAWL_N_RESULTS (file storage): one message per result, kept;
//   - bucket CRAWL_N: the crawl's options, the enqueue progress and its state;
//   - bucket CRAWL_N_LEASES (entries expire after LeaseTTL): the workers'
//     heartbeats and the leases on the partitions.
//
// Guarantees:
//   - Every distinct URL of the list is reported exactly once, with all the
//     lines it was on, whatever the deliveries: a worker publishes a URL's
//     result before it acknowledges the URL, a URL not acknowledged within
//     AckWait is delivered again (to whichever worker then holds its
//     partition), and Serve keeps the first result of a URL and drops any
//     later one.
//   - A worker that dies (even by SIGKILL) loses nothing: its URLs come back
//     after AckWait, its partitions are free after LeaseTTL.
//   - Serve stopped (or killed) and called again on the same store resumes:
//     results already published are reported from the results stream, not
//     fetched again; URLs enqueued and not done are left in the queue. A
//     URL may be fetched twice (its worker died between publishing the
//     result and acknowledging it, or Serve died between enqueueing it and
//     recording the progress and came back after the duplicate window); it
//     is still reported once.
//   - Politeness: the URLs of one host (scheme, host and port) hash to one
//     partition, and a partition is consumed by the one worker holding its
//     lease. So Options.HostConcurrency, HostDelay, HostRate, retries'
//     backoff and Retry-After hold for the whole crawl, not per worker. A
//     worker that cannot renew its leases stops starting requests before
//     they expire. When a partition changes hands (a worker joined, left or
//     died), the new holder starts with no memory of the host's last
//     request: a HostDelay longer than the hand-over (at least LeaseTTL
//     after a death) is not carried over, and robots.txt is fetched again.
type Frontier struct {
	// JetStream is the connection to the NATS server or cluster holding
	// the crawl; required.
	JetStream jetstream.JetStream
	// Name tells crawls sharing a server apart: letters, digits, '-' and
	// '_'; default "crawl".
	Name string
	// Partitions is how many partitions the hosts are hashed into: the
	// most workers that can share the crawl; default 64. It is the
	// crawl's: Serve records it (and AckWait and LeaseTTL), Work uses what
	// Serve recorded.
	Partitions int
	// AckWait is how long a URL given to a worker may go without news
	// before it is given to another: workers confirm the URLs they hold
	// every AckWait/3 while fetching, retrying and waiting, so only a dead
	// or cut-off worker's URLs come back; default 30s.
	AckWait time.Duration
	// LeaseTTL is how long a partition lease lives without renewal:
	// workers renew every LeaseTTL/4, and a dead worker's partitions pass
	// to others after it; default 10s.
	LeaseTTL time.Duration
	// Window is the most URLs Serve keeps enqueued and not done; it reads
	// the list no further until results come back. Serve's memory grows
	// with it (a URL string each), not with the list; default 100,000.
	Window int
}

// ErrFrontierName is returned for a Frontier.Name JetStream cannot hold.
var ErrFrontierName = errors.New("crawl: frontier name must be letters, digits, '-' or '_'")

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (f Frontier) withDefaults() (Frontier, error) {
	if f.JetStream == nil {
		return f, errors.New("crawl: Frontier.JetStream is nil")
	}
	if f.Name == "" {
		f.Name = "crawl"
	}
	if !nameRE.MatchString(f.Name) {
		return f, fmt.Errorf("%w: %q", ErrFrontierName, f.Name)
	}
	if f.Partitions <= 0 {
		f.Partitions = 64
	}
	if f.AckWait <= 0 {
		f.AckWait = 30 * time.Second
	}
	if f.LeaseTTL <= 0 {
		f.LeaseTTL = 10 * time.Second
	}
	if f.Window <= 0 {
		f.Window = 100000
	}
	return f, nil
}

func (f Frontier) prefix() string       { return "CRAWL_" + strings.ToUpper(f.Name) }
func (f Frontier) workStream() string   { return f.prefix() + "_WORK" }
func (f Frontier) resultStream() string { return f.prefix() + "_RESULTS" }
func (f Frontier) metaBucket() string   { return f.prefix() }
func (f Frontier) leaseBucket() string  { return f.prefix() + "_LEASES" }
func (f Frontier) workSubject(p int) string {
	return "crawl." + f.Name + ".work." + strconv.Itoa(p)
}
func (f Frontier) resultSubject() string { return "crawl." + f.Name + ".results" }

// Keys of the meta bucket.
const (
	keyConfig = "config"
	keyMark   = "mark"
	keyState  = "state"
	stateDone = "done"
)

// frontierConfig is what Serve records for the workers.
type frontierConfig struct {
	Partitions int           `json:"partitions"`
	AckWait    time.Duration `json:"ack_wait"`
	LeaseTTL   time.Duration `json:"lease_ttl"`
	Options    wireOptions   `json:"options"`
}

// wireOptions are the fetch and politeness settings of Options a worker
// takes from the crawl, as the caller set them (defaults applied on the
// worker).
type wireOptions struct {
	Concurrency     int           `json:"concurrency"`
	Timeout         time.Duration `json:"timeout"`
	MaxBody         int64         `json:"max_body"`
	MaxRedirects    int           `json:"max_redirects"`
	PerHost         int           `json:"per_host"`
	UserAgent       string        `json:"user_agent"`
	HostConcurrency int           `json:"host_concurrency"`
	HostDelay       time.Duration `json:"host_delay"`
	HostRate        float64       `json:"host_rate"`
	Jitter          float64       `json:"jitter"`
	Retries         int           `json:"retries"`
	RetryBackoff    time.Duration `json:"retry_backoff"`
	MaxBackoff      time.Duration `json:"max_backoff"`
	Robots          bool          `json:"robots"`
	Lookahead       int           `json:"lookahead"`
}

func toWire(o Options) wireOptions {
	return wireOptions{o.Concurrency, o.Timeout, o.MaxBody, o.MaxRedirects, o.PerHost, o.UserAgent,
		o.HostConcurrency, o.HostDelay, o.HostRate, o.Jitter, o.Retries, o.RetryBackoff, o.MaxBackoff, o.Robots, o.Lookahead}
}

func (w wireOptions) options() Options {
	return Options{Mode: Concurrent, Concurrency: w.Concurrency, Timeout: w.Timeout, MaxBody: w.MaxBody,
		MaxRedirects: w.MaxRedirects, PerHost: w.PerHost, UserAgent: w.UserAgent, HostConcurrency: w.HostConcurrency,
		HostDelay: w.HostDelay, HostRate: w.HostRate, Jitter: w.Jitter, Retries: w.Retries,
		RetryBackoff: w.RetryBackoff, MaxBackoff: w.MaxBackoff, Robots: w.Robots, Lookahead: w.Lookahead}
}

// stableKey identifies a normalised URL across processes and restarts
// (urlKey's seeds are per process): 128 bits of SHA-256.
type stableKey [16]byte

func stableKeyOf(rawURL string) stableKey {
	norm, _ := normalize(rawURL)
	sum := sha256.Sum256([]byte(norm))
	return stableKey(sum[:16])
}

func (k stableKey) String() string { return hex.EncodeToString(k[:]) }

// partitionOf hashes a URL's origin into one of n partitions.
func partitionOf(rawURL string, n int) int {
	_, origin := normalize(rawURL)
	h := fnv.New32a()
	h.Write([]byte(origin))
	return int(h.Sum32() % uint32(n))
}

// A work message is a batch of URLs of one partition, a line
// "<line> <url>" each: the URL's first line in the list.
func appendWork(msg []byte, line int, url string) []byte {
	msg = strconv.AppendInt(msg, int64(line), 10)
	msg = append(msg, ' ')
	msg = append(msg, url...)
	return append(msg, '\n')
}

// workBatch is the most URLs in one work message.
const workBatch = 16

type workEntry struct {
	line int
	url  string
}

func parseWorkMessage(data []byte) ([]workEntry, error) {
	var entries []workEntry
	for l := range strings.Lines(string(data)) {
		ls, u, ok := strings.Cut(strings.TrimSuffix(l, "\n"), " ")
		line, err := strconv.Atoi(ls)
		if !ok || err != nil || u == "" {
			return nil, fmt.Errorf("crawl: malformed work message %q", data)
		}
		entries = append(entries, workEntry{line, u})
	}
	if len(entries) == 0 {
		return nil, errors.New("crawl: empty work message")
	}
	return entries, nil
}

// wireResult is a result message: the Result without its lines, with the
// kinds of its error so that errors.Is still works at the coordinator.
type wireResult struct {
	Key    string   `json:"key"`
	Seq    uint64   `json:"seq,omitempty"` // the work message's sequence in the work stream
	N      int      `json:"n,omitempty"`   // the URLs in that message
	Line   int      `json:"line"`
	Worker string   `json:"worker"`
	Kinds  []string `json:"kinds,omitempty"`
	Result
}

// The sentinels a result's error may match, by the name they travel under.
var errorKinds = []struct {
	name string
	errs []error
}{
	{"timeout", []error{ErrTimeout, context.DeadlineExceeded}},
	{"body_too_large", []error{ErrBodyTooLarge}},
	{"too_many_redirects", []error{ErrTooManyRedirects}},
	{"canceled", []error{context.Canceled}},
	{"deliveries", []error{ErrRedelivered}},
}

// ErrRedelivered is the error of a URL that was delivered to workers
// maxDeliveries times without a result (each one died or was cut off on
// it): it is reported instead of being tried forever.
var ErrRedelivered = errors.New("crawl: given up after repeated deliveries, their workers stopped without a result")

// maxDeliveries bounds the deliveries of one URL.
const maxDeliveries = 10

func kindsOf(err error) []string {
	var kinds []string
	for _, k := range errorKinds {
		if errors.Is(err, k.errs[0]) {
			kinds = append(kinds, k.name)
		}
	}
	return kinds
}

// remoteError is a worker's error as the coordinator sees it: its text,
// matching (errors.Is) the sentinels it matched on the worker.
type remoteError struct {
	msg  string
	errs []error
}

func (e *remoteError) Error() string   { return e.msg }
func (e *remoteError) Unwrap() []error { return e.errs }

func remoteErr(msg string, kinds []string) error {
	e := &remoteError{msg: msg}
	for _, name := range kinds {
		for _, k := range errorKinds {
			if k.name == name {
				e.errs = append(e.errs, k.errs...)
			}
		}
	}
	return e
}

// decodeResult reads a result message.
func decodeResult(data []byte) (*wireResult, stableKey, error) {
	var w wireResult
	var k stableKey
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, k, fmt.Errorf("crawl: malformed result message: %w", err)
	}
	b, err := hex.DecodeString(w.Key)
	if err != nil || len(b) != len(k) {
		return nil, k, fmt.Errorf("crawl: malformed result key %q", w.Key)
	}
	copy(k[:], b)
	if w.Error != "" {
		w.Err = remoteErr(w.Error, w.Kinds)
	}
	return &w, k, nil
}

// setup creates (or updates) the crawl's streams, consumers and buckets,
// and records the crawl's configuration. A crawl that exists keeps its
// partitions (its queued URLs are on their subjects): the returned
// Frontier has them.
func (f Frontier) setup(ctx context.Context, o Options) (Frontier, jetstream.KeyValue, error) {
	js := f.JetStream
	meta, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: f.metaBucket(), Storage: jetstream.FileStorage})
	if err != nil {
		return f, nil, fmt.Errorf("crawl: meta bucket: %w", err)
	}
	if e, err := meta.Get(ctx, keyConfig); err == nil {
		var old frontierConfig
		if json.Unmarshal(e.Value(), &old) == nil && old.Partitions > 0 {
			f.Partitions = old.Partitions
		}
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return f, nil, fmt.Errorf("crawl: reading the crawl's configuration: %w", err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: f.workStream(), Subjects: []string{"crawl." + f.Name + ".work.*"},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
	}); err != nil {
		return f, nil, fmt.Errorf("crawl: work stream: %w", err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: f.resultStream(), Subjects: []string{f.resultSubject()}, Storage: jetstream.FileStorage,
	}); err != nil {
		return f, nil, fmt.Errorf("crawl: results stream: %w", err)
	}
	// The partitions' consumers are created all at once: one round trip.
	errs := make([]error, f.Partitions)
	var wg sync.WaitGroup
	for p := range f.Partitions {
		wg.Go(func() {
			if _, err := js.CreateOrUpdateConsumer(ctx, f.workStream(), jetstream.ConsumerConfig{
				Durable: "p" + strconv.Itoa(p), FilterSubject: f.workSubject(p),
				AckPolicy: jetstream.AckExplicitPolicy, AckWait: f.AckWait, MaxDeliver: -1, MaxAckPending: 20000,
			}); err != nil {
				errs[p] = fmt.Errorf("crawl: consumer of partition %d: %w", p, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return f, nil, err
	}
	if _, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: f.leaseBucket(), TTL: f.LeaseTTL, Storage: jetstream.FileStorage,
	}); err != nil {
		return f, nil, fmt.Errorf("crawl: lease bucket: %w", err)
	}
	cfg, _ := json.Marshal(frontierConfig{Partitions: f.Partitions, AckWait: f.AckWait, LeaseTTL: f.LeaseTTL, Options: toWire(o)})
	if _, err := meta.Put(ctx, keyConfig, cfg); err != nil {
		return f, nil, fmt.Errorf("crawl: recording the crawl's configuration: %w", err)
	}
	return f, meta, nil
}
