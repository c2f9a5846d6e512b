package crawl

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// LineProblem is one line of a URL list that ParseURLList skipped, with its
// 1-based line number and the reason.
type LineProblem struct {
	Line   int    `json:"line"`
	Text   string `json:"text"`
	Reason string `json:"reason"`
}

// String describes the problem as `line N: reason: "text"`, the way the
// report lists skipped lines.
func (p LineProblem) String() string {
	return fmt.Sprintf("line %d: %s: %q", p.Line, p.Reason, p.Text)
}

// ParseURLList reads one URL a line from r. Blank lines and lines starting
// with '#' are skipped; a malformed line, a scheme other than http/https or
// a line over 1 MiB is returned as a LineProblem and skipped, never fatal.
// The error is only a read error from r (lines read before it are
// returned too). It holds the whole list; Stream and CrawlReader read it
// line by line instead.
func ParseURLList(r io.Reader) (urls []string, problems []LineProblem, err error) {
	err = readList(r, func(it item) bool {
		if it.problem != nil {
			problems = append(problems, *it.problem)
		} else {
			urls = append(urls, it.url)
		}
		return true
	})
	return urls, problems, err
}

// maxLine is the longest line of a list read as a URL; longer ones are a
// LineProblem.
const maxLine = 1 << 20

// item is one line of a list that holds something: a URL or a problem.
type item struct {
	line    int
	url     string
	problem *LineProblem
}

// readList calls yield for each URL or bad line of the list in r, in
// order, reading one line at a time (memory: the longest line, capped at
// maxLine). It stops early when yield returns false, and returns r's read
// error, if any.
func readList(r io.Reader, yield func(item) bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte // a line longer than br's buffer, being assembled
	n := 0
	for {
		chunk, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if len(long) <= maxLine {
				long = append(long, chunk...)
			}
			continue
		}
		if len(chunk) == 0 && len(long) == 0 {
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
		n++
		line := chunk
		if long != nil {
			line = append(long, chunk...)
			long = nil
		}
		if it, ok := parseLine(n, line); ok && !yield(it) {
			return nil
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// parseLine turns line n into an item; ok is false for a blank or
// comment line.
func parseLine(n int, raw []byte) (it item, ok bool) {
	if len(raw) > maxLine {
		return item{line: n, problem: &LineProblem{Line: n, Text: string(raw[:80]) + "...", Reason: "line longer than 1 MiB"}}, true
	}
	line := strings.TrimSpace(string(raw))
	if line == "" || strings.HasPrefix(line, "#") {
		return item{}, false
	}
	if reason := checkURL(line); reason != "" {
		return item{line: n, problem: &LineProblem{Line: n, Text: line, Reason: reason}}, true
	}
	return item{line: n, url: line}, true
}

// checkURL returns why s is not a fetchable http(s) URL, or "".
func checkURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "malformed URL"
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "":
		return "missing scheme (want http:// or https://)"
	default:
		return "unsupported scheme " + u.Scheme + " (want http or https)"
	}
	if u.Host == "" || u.Hostname() == "" {
		return "missing host"
	}
	if strings.ContainsAny(s, " \t") {
		return "malformed URL (contains spaces)"
	}
	return ""
}
