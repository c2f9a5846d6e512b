package crawl

import (
	"fmt"
	"strconv"
	"strings"
)

// StatusSet is a set of HTTP statuses: whole classes ("5xx") and single
// codes ("429"). The zero value is empty. It is a value: safe to copy and
// to read concurrently.
type StatusSet struct {
	classes [6]bool // 1xx..5xx by first digit
	codes   []int
}

// ParseStatusSet reads a comma-separated list of classes and codes, such
// as "5xx" or "429,5xx": a class is a digit 1-5 followed by "xx", a code
// is 100-599. Spaces are ignored; "" is the empty set.
func ParseStatusSet(s string) (StatusSet, error) {
	var set StatusSet
	for f := range strings.SplitSeq(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch {
		case f == "":
			continue
		case len(f) == 3 && f[1:] == "xx" && f[0] >= '1' && f[0] <= '5':
			set.classes[f[0]-'0'] = true
		default:
			n, err := strconv.Atoi(f)
			if err != nil || n < 100 || n > 599 {
				return StatusSet{}, fmt.Errorf("crawl: bad status %q (want a class like 5xx or a code 100-599)", f)
			}
			set.codes = append(set.codes, n)
		}
	}
	return set, nil
}

// Has reports whether status is in the set.
func (s StatusSet) Has(status int) bool {
	if status >= 100 && status < 600 && s.classes[status/100] {
		return true
	}
	for _, c := range s.codes {
		if c == status {
			return true
		}
	}
	return false
}

// String is the set as ParseStatusSet reads it, classes first.
func (s StatusSet) String() string {
	var parts []string
	for c, ok := range s.classes {
		if ok {
			parts = append(parts, fmt.Sprintf("%dxx", c))
		}
	}
	for _, c := range s.codes {
		parts = append(parts, strconv.Itoa(c))
	}
	return strings.Join(parts, ",")
}
