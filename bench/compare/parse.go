package main

import (
	"bufio"
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// sample is what one benchmark reported over its runs.
type sample struct {
	ns, bytes, allocs []float64
	metrics           map[string][]float64 // custom units from b.ReportMetric
}

// median of ns/op (or bytes/op, allocs/op); ok is false without data.
func median(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// parseBench reads `go test -bench -benchmem` output into samples keyed by
// the benchmark's name without "Benchmark" and the GOMAXPROCS suffix:
// "BenchmarkQueuePutGet/chan-2" is "QueuePutGet/chan".
func parseBench(out []byte) map[string]*sample {
	res := map[string]*sample{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		s := res[name]
		if s == nil {
			s = &sample{}
			res[name] = s
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				s.ns = append(s.ns, v)
			case "B/op":
				s.bytes = append(s.bytes, v)
			case "allocs/op":
				s.allocs = append(s.allocs, v)
			default:
				if s.metrics == nil {
					s.metrics = map[string][]float64{}
				}
				s.metrics[f[i+1]] = append(s.metrics[f[i+1]], v)
			}
		}
	}
	return res
}
