package crawl

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseURLList(t *testing.T) {
	in := "# pages\n\nhttp://a.example/\n  https://b.example/x  \nftp://c.example/\nnot a url\nhttp://\n%zz://bad\n"
	urls, probs, err := ParseURLList(strings.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, []string{"http://a.example/", "https://b.example/x"}, urls)
	require.Len(t, probs, 4)
	assert.Equal(t, []int{5, 6, 7, 8}, []int{probs[0].Line, probs[1].Line, probs[2].Line, probs[3].Line})
	assert.Contains(t, probs[0].Reason, "scheme ftp")
}

func FuzzParseURLList(f *testing.F) {
	for _, s := range []string{"", "http://a/\n", "# c\n\nhttps://x.y/z?q=1\n", "ftp://x\nhttp://\n", "a\nb\r\nhttp://[::1]:80/\n", "\x00\n\n#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		urls, probs, err := ParseURLList(strings.NewReader(s))
		if err != nil {
			return // lines longer than the scanner's limit
		}
		lines := strings.Count(s, "\n") + 1
		assert.LessOrEqual(t, len(urls)+len(probs), lines)
		for _, u := range urls {
			assert.Empty(t, checkURL(u), u)
		}
		last := 0
		for _, p := range probs {
			assert.Greater(t, p.Line, last)
			assert.LessOrEqual(t, p.Line, lines)
			assert.NotEmpty(t, p.Reason)
			last = p.Line
		}
	})
}
