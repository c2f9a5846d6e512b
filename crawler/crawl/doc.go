// Package crawl fetches a list of URLs serially and concurrently and reports
// the comparison: the library behind the crawler command, and the Go port of
// the classic "fetch pages one by one, then with gevent.spawn + joinall" example.
//
//	Python                                     Go
//	for u in urls: fetch(u)                    crawl.Crawl(ctx, urls, crawl.Options{Mode: crawl.Serial})
//	gevent.joinall([spawn(fetch, u) ...])      crawl.Crawl(ctx, urls, crawl.Options{Mode: crawl.Concurrent})
//
// Requests use a fasthttp client with its risky defaults replaced: redirects
// are followed up to Options.MaxRedirects (ErrTooManyRedirects past it),
// bodies are capped at Options.MaxBody (ErrBodyTooLarge), a full per-host
// connection limit waits instead of failing with ErrNoFreeConns, and every
// request (DNS, connect, redirects, body) has Options.Timeout (ErrTimeout).
// Every failure is a per-URL error in the Report; the crawl always finishes.
// Concurrent mode runs Options.Concurrency workers as the tasks of a
// gevent.Pool (gevent.Map); each takes the next URL whose host has room
// (Options.HostConcurrency, HostDelay, HostRate), so at most that many
// fetches are in flight and a busy host never holds a worker.
//
// A Frontier shares one crawl among processes on many machines through NATS
// JetStream: Frontier.Serve (or Crawl) enqueues the list and collects the
// results, Frontier.Work fetches on each worker with the same engine, and
// every URL is reported exactly once whatever dies on the way.
package crawl
