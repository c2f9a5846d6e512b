// Command compare runs geventgo's benchmarks and their CPython originals in
// one sitting and prints one table:
//
//	operation | CPython ns/op | plain Go ns/op | geventgo ns/op | geventgo vs Go | geventgo vs CPython
//
// Go figures are medians over -count runs of `go test -bench` on ./bench/
// (benchstat's confidence table is printed too); CPython figures come from
// bench/python/pybench.py run with the first interpreter that has gevent
// (Debian's: apt-get install python3-gevent python3-greenlet). Without
// gevent it says so and fills the CPython column with what it can.
//
//	go run ./bench/compare                 # full run, -count 5
//	go run ./bench/compare -short          # one iteration each: CI's smoke run
//	go run ./bench/compare -md bench/RESULTS.md -svg bench/results.svg
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
)

func main() {
	var (
		count     = flag.Int("count", 5, "runs of each Go benchmark (medians are reported)")
		benchtime = flag.String("benchtime", "300ms", "go test -benchtime for each run")
		short     = flag.Bool("short", false, "smoke run: one iteration of each benchmark, tiny CPython loops")
		filter    = flag.String("bench", ".", "go test -bench regexp")
		scale     = flag.Bool("scale", true, "also measure how spawn+joinall and Pool.map grow with the task count")
		mdPath    = flag.String("md", "", "write the table as Markdown to this file")
		svgPath   = flag.String("svg", "", "write the table as an SVG bar chart to this file")
		raw       = flag.String("raw", "", "keep the raw go test output in this file (benchstat input)")
		python    = flag.String("python", "", "CPython interpreter (default: the first of /usr/bin/python3, python3 with gevent)")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, config{
		count: *count, benchtime: *benchtime, short: *short, filter: *filter, scale: *scale,
		md: *mdPath, svg: *svgPath, raw: *raw, python: *python,
	}, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

type config struct {
	count        int
	benchtime    string
	short, scale bool
	filter       string
	md, svg, raw string
	python       string
}

func run(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if cfg.short {
		cfg.count, cfg.benchtime = 1, "1x"
	}
	bench := filepath.Join(root, "bench")

	fmt.Fprintf(stderr, "running Go benchmarks (-count %d -benchtime %s)...\n", cfg.count, cfg.benchtime)
	args := []string{"test", "-run", "^$", "-bench", cfg.filter, "-benchmem",
		"-count", fmt.Sprint(cfg.count), "-benchtime", cfg.benchtime, "./bench/"}
	goOut, err := command(ctx, root, stderr, "go", args...)
	if err != nil {
		return fmt.Errorf("go test -bench: %w\n%s", err, goOut)
	}
	if cfg.raw != "" {
		if err := os.WriteFile(cfg.raw, goOut, 0o644); err != nil {
			return err
		}
	}
	results := parseBench(goOut)
	if len(results) == 0 {
		return fmt.Errorf("go test -bench printed no benchmark results:\n%s", goOut)
	}
	if cfg.count > 1 {
		if stat, err := benchstat(ctx, root, goOut); err == nil {
			fmt.Fprintf(stdout, "benchstat (medians and 95%% confidence over %d runs):\n\n%s\n", cfg.count, stat)
		} else {
			fmt.Fprintln(stderr, "benchstat:", err)
		}
	}

	py := pythonResult{}
	interp := cfg.python
	if interp == "" {
		interp = findPython(ctx)
	}
	if interp == "" {
		fmt.Fprintln(stderr, "no CPython with gevent found: the CPython column is empty.\n"+
			"  install it with: sudo apt-get install python3-gevent python3-greenlet (Debian/Ubuntu)")
	} else {
		fmt.Fprintf(stderr, "running CPython benchmarks with %s...\n", interp)
		pyArgs := []string{filepath.Join(bench, "python", "pybench.py")}
		if cfg.short {
			pyArgs = append(pyArgs, "--short")
		}
		if cfg.scale {
			pyArgs = append(pyArgs, "--scale")
		}
		out, err := command(ctx, root, stderr, interp, pyArgs...)
		if err != nil {
			return fmt.Errorf("%s pybench.py: %w", interp, err)
		}
		if err := json.Unmarshal(out, &py); err != nil {
			return fmt.Errorf("pybench.py output: %w", err)
		}
	}

	t := buildTable(results, py)
	fmt.Fprintf(stdout, "geventgo vs plain Go vs CPython (%s, %s/%s, %d CPUs, %s; CPython %s, gevent %s, greenlet %s)\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(),
		orDash(py.Python), orDash(py.Gevent), orDash(py.Greenlet))
	t.writeText(stdout)
	if sc := buildScale(results, py); len(sc.rows) > 0 {
		fmt.Fprintln(stdout)
		sc.writeText(stdout)
	}
	if cfg.md != "" {
		var buf bytes.Buffer
		fmt.Fprintf(&buf, "Measured with `go run ./bench/compare` on %s, %d CPUs, %s/%s, %s; CPython %s with gevent %s and greenlet %s. Go figures are medians of %d runs.\n\n",
			cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(),
			orDash(py.Python), orDash(py.Gevent), orDash(py.Greenlet), cfg.count)
		t.writeMarkdown(&buf)
		if sc := buildScale(results, py); len(sc.rows) > 0 {
			buf.WriteString("\n")
			sc.writeMarkdown(&buf)
		}
		if err := os.WriteFile(cfg.md, buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if cfg.svg != "" {
		if err := t.plot(cfg.svg); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
	}
	return nil
}

// command runs name with args in dir and returns its standard output;
// its standard error goes to stderr.
func command(ctx context.Context, dir string, stderr io.Writer, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stderr = stderr
	return cmd.Output()
}

func benchstat(ctx context.Context, root string, goOut []byte) ([]byte, error) {
	f, err := os.CreateTemp("", "geventgo-bench-*.txt")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(goOut); err != nil {
		f.Close()
		return nil, err
	}
	f.Close()
	return command(ctx, root, io.Discard, "go", "tool", "benchstat", f.Name())
}

// findPython returns the first interpreter that can import gevent, or "".
func findPython(ctx context.Context) string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.CommandContext(ctx, p, "-c", "import gevent, greenlet").Run() == nil {
			return p
		}
	}
	return ""
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run compare inside the geventgo module")
	}
	return filepath.Dir(mod), nil
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
