package crawl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

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

// Stream crawls a list as it is read and emits each URL as it is done:
// here as the command's -jsonl lines. The repeated URL is fetched once and
// reported with both its lines, as it is read while the first is in flight
// (read later, it is reported as a duplicate of its own); the bad line is
// reported where it is.
func ExampleStream() {
	list := &wholeList{read: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // answer once the whole list is read: the output is then always the same
		case <-list.read:
		case <-r.Context().Done():
		}
		fmt.Fprint(w, "page", r.URL.Path)
	}))
	defer srv.Close()
	list.Reader = strings.NewReader(srv.URL + "/a\nmailto:me@example.com\n" + strings.ToUpper(srv.URL[:4]) + srv.URL[4:] + "/a\n")
	var lines []string
	run, err := crawl.Stream(context.Background(), list, crawl.Options{Mode: crawl.Serial},
		func(ev crawl.Event) error {
			if ev.Result != nil {
				ev.Result.URL, ev.Result.FinalURL, ev.Result.Duration = "/a", "", 0 // stable output
			}
			b, err := json.Marshal(ev)
			lines = append(lines, string(b))
			return err
		})
	if err != nil {
		panic(err)
	}
	for _, l := range lines {
		fmt.Println(l)
	}
	fmt.Println("urls:", run.URLs, "duplicates:", run.Duplicates, "bad lines:", run.BadLines)
	// Output:
	// {"type":"bad_line","line":2,"text":"mailto:me@example.com","reason":"unsupported scheme mailto (want http or https)"}
	// {"type":"result","url":"/a","lines":[1,3],"status":200,"bytes":6,"duration_ns":0,"attempts":1}
	// urls: 1 duplicates: 1 bad lines: 1
}

// ParseStatusSet reads the command's -fail-status: classes and codes.
func ExampleParseStatusSet() {
	s, err := crawl.ParseStatusSet("5xx,429")
	if err != nil {
		panic(err)
	}
	fmt.Println(s, s.Has(503), s.Has(429), s.Has(404))
	// Output: 5xx,429 true true false
}

// wholeList is a list that closes read when it has been read to its end.
type wholeList struct {
	io.Reader
	read chan struct{}
	once sync.Once
}

func (l *wholeList) Read(p []byte) (int, error) {
	n, err := l.Reader.Read(p)
	if err == io.EOF {
		l.once.Do(func() { close(l.read) })
	}
	return n, err
}
