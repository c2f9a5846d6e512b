package crawl_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/geventgo/geventgo/crawler/crawl"
)

// The classic gevent tutorial fetches pages serially, then with gevent.spawn + joinall. Here
// both runs are one call, and the list is read the way the command reads it.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "page", r.URL.Path)
	}))
	defer srv.Close()
	list := "# pages\n" + srv.URL + "/a\n" + srv.URL + "/b\nftp://old.example/\n"
	urls, problems, _ := crawl.ParseURLList(strings.NewReader(list))
	for _, p := range problems {
		fmt.Println("skipped", p.Line, p.Reason)
	}
	rep, err := crawl.Crawl(context.Background(), urls, crawl.Options{Mode: crawl.Both, Concurrency: 2})
	if err != nil {
		panic(err)
	}
	for _, x := range rep.Concurrent.Results {
		fmt.Println(x.Status, x.Bytes, strings.TrimPrefix(x.URL, srv.URL))
	}
	fmt.Println("failed:", rep.Failed())
	// Output:
	// skipped 4 unsupported scheme ftp (want http or https)
	// 200 6 /a
	// 200 6 /b
	// failed: 0
}
