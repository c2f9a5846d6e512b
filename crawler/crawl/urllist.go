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
// with '#' are skipped; a malformed line or a scheme other than http/https
// is returned as a LineProblem and skipped, never fatal. The error is only
// a read error from r (lines read before it are returned too).
func ParseURLList(r io.Reader) (urls []string, problems []LineProblem, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if reason := checkURL(line); reason != "" {
			problems = append(problems, LineProblem{Line: n, Text: line, Reason: reason})
			continue
		}
		urls = append(urls, line)
	}
	return urls, problems, sc.Err()
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
