package crawl

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// DemoServer is the local fasthttp server of the embedded demo: simulated
// latency and a mix of responses (ok, slow, redirect, 404, large), on
// 127.0.0.1 only, on DemoHosts ports: distinct hosts to the crawler's
// per-host politeness, so that the default HostConcurrency of 4 still lets
// the whole list run at once.
type DemoServer struct {
	lns []net.Listener
	srv *fasthttp.Server
	err chan error
}

// DemoHosts is the number of ports (hosts) the demo listens on.
const DemoHosts = 11

// StartDemoServer listens on DemoHosts ports of 127.0.0.1 and serves the
// demo until Close.
func StartDemoServer() (*DemoServer, error) {
	d := &DemoServer{err: make(chan error, DemoHosts)}
	for range DemoHosts {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, l := range d.lns {
				l.Close()
			}
			return nil, err
		}
		d.lns = append(d.lns, ln)
	}
	large := []byte(strings.Repeat("x", 1<<20))
	d.srv = &fasthttp.Server{Handler: func(c *fasthttp.RequestCtx) {
		p := string(c.Path())
		switch {
		case strings.HasPrefix(p, "/ok/"):
			time.Sleep(50 * time.Millisecond) // simulated network latency
			fmt.Fprintf(c, "page %s\n", p)
		case p == "/slow":
			time.Sleep(300 * time.Millisecond)
			c.WriteString("slow page\n")
		case p == "/redirect":
			time.Sleep(20 * time.Millisecond)
			c.Redirect("/ok/redirected", fasthttp.StatusFound)
		case p == "/large":
			time.Sleep(50 * time.Millisecond)
			c.Write(large)
		default:
			time.Sleep(20 * time.Millisecond)
			c.SetStatusCode(fasthttp.StatusNotFound)
			c.WriteString("not found\n")
		}
	}}
	for _, ln := range d.lns {
		go func() { d.err <- d.srv.Serve(ln) }()
	}
	return d, nil
}

// URLs returns the demo's URL list, spread over its hosts: 40 pages of
// 50ms, a slow one (300ms), a redirect, a 404 and a 1 MiB page.
func (d *DemoServer) URLs() []string {
	base := func(i int) string { return "http://" + d.lns[i%len(d.lns)].Addr().String() }
	var urls []string
	for i := range 40 {
		urls = append(urls, fmt.Sprintf("%s/ok/%d", base(i), i))
	}
	return append(urls, base(40)+"/slow", base(41)+"/redirect", base(42)+"/missing", base(43)+"/large")
}

// Close stops the server and waits for it to finish.
func (d *DemoServer) Close() error {
	err := d.srv.Shutdown()
	for range d.lns {
		<-d.err
	}
	return err
}
