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
// 127.0.0.1 only.
type DemoServer struct {
	ln  net.Listener
	srv *fasthttp.Server
	err chan error
}

// StartDemoServer listens on 127.0.0.1:0 and serves the demo until Close.
func StartDemoServer() (*DemoServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	large := []byte(strings.Repeat("x", 1<<20))
	d := &DemoServer{ln: ln, err: make(chan error, 1)}
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
	go func() { d.err <- d.srv.Serve(ln) }()
	return d, nil
}

// URLs returns the demo's URL list: 40 pages of 50ms, a slow one, a
// redirect, a 404 and a 1 MiB page.
func (d *DemoServer) URLs() []string {
	base := "http://" + d.ln.Addr().String()
	var urls []string
	for i := range 40 {
		urls = append(urls, fmt.Sprintf("%s/ok/%d", base, i))
	}
	return append(urls, base+"/slow", base+"/redirect", base+"/missing", base+"/large")
}

// Close stops the server and waits for it to finish.
func (d *DemoServer) Close() error {
	err := d.srv.Shutdown()
	<-d.err
	return err
}
