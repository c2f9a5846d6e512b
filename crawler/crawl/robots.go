package crawl

import (
	"fmt"
	"net/url"
	"time"

	"github.com/temoto/robotstxt"
)

// robotsRules is what a host's robots.txt says for Options.UserAgent:
// its group of rules, or a reason that disallows everything.
type robotsRules struct {
	group *robotstxt.Group // nil: everything allowed (or denied, with deny)
	deny  string
	delay time.Duration
}

// newRobotsRules reads a robots.txt fetch as RFC 9309 says: a 2xx is
// parsed (what does not parse is ignored), a 4xx allows everything, a 5xx
// or a failed fetch disallows everything.
func newRobotsRules(a attempt, o Options) *robotsRules {
	switch res := a.res; {
	case res.Err != nil:
		return &robotsRules{deny: "robots.txt unreachable: " + oneLine(res.Error)}
	case res.Status >= 500:
		return &robotsRules{deny: fmt.Sprintf("robots.txt answered %d", res.Status)}
	}
	data, err := robotstxt.FromStatusAndBytes(a.res.Status, a.body)
	if err != nil || data == nil {
		return &robotsRules{}
	}
	g := data.FindGroup(o.UserAgent)
	if g == nil {
		return &robotsRules{}
	}
	return &robotsRules{group: g, delay: g.CrawlDelay}
}

// disallows returns why raw may not be fetched, or "".
func (r *robotsRules) disallows(raw string) string {
	if r.deny != "" {
		return r.deny
	}
	if r.group == nil {
		return ""
	}
	path := "/"
	if u, err := url.Parse(raw); err == nil {
		path = u.RequestURI()
	}
	if r.group.Test(path) {
		return ""
	}
	return "disallowed by robots.txt"
}
