package crawl

import (
	"hash/maphash"
	"net"
	"net/url"
	"strings"
)

// urlKey identifies a URL after normalisation: 128 bits of two seeded
// hashes, so the set of URLs seen costs 20 bytes a URL whatever their
// length (two distinct URLs collide with probability ~2^-128 per pair).
type urlKey [16]byte

var keySeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func keyOf(norm string) urlKey {
	var k urlKey
	a, b := maphash.String(keySeeds[0], norm), maphash.String(keySeeds[1], norm)
	for i := range 8 {
		k[i], k[8+i] = byte(a>>(8*i)), byte(b>>(8*i))
	}
	return k
}

// normalize returns the form of raw under which duplicates are recognised,
// and its origin (scheme://host:port, the unit of politeness and of
// robots.txt). Scheme and host are lower-cased, the default port (80 for
// http, 443 for https) is made explicit, an empty path is "/", and the
// fragment (never sent to the server) is dropped; path and query are kept
// as written. A URL that does not parse is its own key, with origin "".
func normalize(raw string) (norm, origin string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw, ""
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	origin = scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
	var b strings.Builder
	b.Grow(len(raw) + 8)
	b.WriteString(origin)
	if u.User != nil {
		b.WriteString("|" + u.User.String())
	}
	if p := u.EscapedPath(); p != "" {
		b.WriteString(p)
	} else {
		b.WriteByte('/')
	}
	if u.RawQuery != "" {
		b.WriteString("?" + u.RawQuery)
	}
	return b.String(), origin
}
