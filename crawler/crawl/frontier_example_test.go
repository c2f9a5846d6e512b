package crawl_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/geventgo/geventgo/crawler/crawl"
	"github.com/geventgo/geventgo/internal/natsembed"
)

// A crawl shared by two workers through a NATS server with JetStream
// (embedded here; on several machines, each worker connects to it): the
// coordinator's Crawl enqueues the list and returns the report of a local
// crawl once the workers have published every result.
func ExampleFrontier() {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "page", r.URL.Path)
	}))
	defer web.Close()
	dir, _ := os.MkdirTemp("", "example-jetstream-")
	defer os.RemoveAll(dir)
	srv, err := natsembed.Start("127.0.0.1:0", dir)
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown()
	connect := func() (*nats.Conn, jetstream.JetStream) {
		nc, err := nats.Connect(srv.ClientURL())
		if err != nil {
			panic(err)
		}
		js, err := jetstream.New(nc)
		if err != nil {
			panic(err)
		}
		return nc, js
	}

	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 2 {
		nc, js := connect()
		wg.Go(func() {
			defer nc.Close()
			f := crawl.Frontier{JetStream: js, Name: "example"}
			if _, err := f.Work(ctx, crawl.WorkOptions{ID: fmt.Sprint("worker", i)}); err != nil {
				panic(err)
			}
		})
	}
	nc, js := connect()
	defer nc.Close()
	list := web.URL + "/a\n" + web.URL + "/b\nnot a url\n" + web.URL + "/a\n"
	rep, err := crawl.Frontier{JetStream: js, Name: "example"}.Crawl(ctx, strings.NewReader(list), crawl.Options{Mode: crawl.Concurrent})
	if err != nil {
		panic(err)
	}
	wg.Wait() // the workers return once the crawl is done
	for _, p := range rep.Problems {
		fmt.Println("skipped", p)
	}
	for _, x := range rep.Concurrent.Results {
		fmt.Println(x.Status, x.Bytes, strings.TrimPrefix(x.URL, web.URL), x.Lines)
	}
	// Output:
	// skipped line 3: missing scheme (want http:// or https://): "not a url"
	// 200 6 /a [1 4]
	// 200 6 /b [2]
}
