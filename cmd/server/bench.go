package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipc-playground/ipc-playground/internal/bench"
)

// benchConfig is the bench command's line, checked.
type benchConfig struct {
	mechs   []string
	sizes   []int
	modes   []string
	count   int
	reps    int
	cpu     int
	json    bool
	timeout time.Duration
}

// runBench is `ipc-playground bench`: it measures the chosen cells one
// after another and prints the table, or JSON with -json. A progress line
// goes to stderr while it runs.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseBenchFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	cells, skipped := bench.Cells(cfg.mechs, cfg.modes, cfg.sizes, cfg.count)
	if len(cells) == 0 {
		err := errors.New("none of the chosen mechanisms can run at these sizes and modes")
		fmt.Fprintf(stderr, "ipc-playground bench: %v\n", err)
		return &usageError{err}
	}
	dir, err := os.MkdirTemp("", "ipcpg-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	opts := bench.Options{Dir: dir, CPU: cfg.cpu, Reps: cfg.reps, Timeout: cfg.timeout, Stderr: stderr}
	p := progress{w: stderr, total: len(cells)}
	var results []bench.Result
	for i, c := range cells {
		p.show(i, c)
		r, err := bench.Run(ctx, opts, c)
		if err != nil {
			p.clear()
			return err
		}
		results = append(results, r)
	}
	p.clear()
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(benchOutput{CPU: cfg.cpu, Reps: cfg.reps, Results: results, Skipped: skipped})
	}
	return bench.WriteTable(stdout, results, skipped)
}

// benchOutput is what -json prints.
type benchOutput struct {
	CPU     int             `json:"cpu"`
	Reps    int             `json:"reps"`
	Results []bench.Result  `json:"results"`
	Skipped []bench.Skipped `json:"skipped"`
}

// progress is the line on stderr that says which cell runs. On a terminal
// it is rewritten in place; elsewhere each cell gets a line of its own.
type progress struct {
	w     io.Writer
	total int
}

func (p progress) tty() bool {
	f, ok := p.w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func (p progress) show(i int, c bench.Cell) {
	line := fmt.Sprintf("bench: %d of %d: %s %s %s, %d messages", i+1, p.total, c.Mechanism, c.Mode, bench.Bytes(c.Size), c.Count)
	if p.tty() {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p progress) clear() {
	if p.tty() {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// parseBenchFlags reads the bench command's flags and checks every value.
func parseBenchFlags(args []string, stderr io.Writer) (benchConfig, error) {
	fs := flag.NewFlagSet("ipc-playground bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg benchConfig
	mechs := fs.String("mech", "all", "mechanisms, comma-separated: "+joinNames())
	sizes := fs.String("sizes", "64,4K,64K", "message sizes, comma-separated, in bytes or with K or M")
	mode := fs.String("mode", "both", "rtt (round trip), stream (one way) or both")
	fs.IntVar(&cfg.count, "count", 0, "messages per repetition (default: by mode and size, about a tenth of a second each)")
	fs.IntVar(&cfg.reps, "reps", 3, "timed repetitions per cell, after one warm-up; the median is shown")
	fs.IntVar(&cfg.cpu, "cpu", bench.FirstCPU(), "the CPU both processes of a cell are pinned to; -1 to not pin")
	fs.BoolVar(&cfg.json, "json", false, "print JSON instead of a table")
	fs.DurationVar(&cfg.timeout, "timeout", time.Minute, "the longest a cell may take before its processes are killed")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: ipc-playground bench [flags]\n\nMeasures each IPC mechanism between two real processes of this binary.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, &usageError{err}
	}
	err := cfg.check(fs, *mechs, *sizes, *mode)
	if err != nil {
		fmt.Fprintf(stderr, "ipc-playground bench: %v\nRun it with -h to see the flags.\n", err)
		return cfg, &usageError{err}
	}
	return cfg, nil
}

func (cfg *benchConfig) check(fs *flag.FlagSet, mechs, sizes, mode string) error {
	var err error
	if fs.NArg() > 0 {
		return fmt.Errorf("bench takes flags only, not %q", fs.Arg(0))
	}
	if cfg.mechs, err = bench.ParseList(mechs); err != nil {
		return err
	}
	if cfg.sizes, err = bench.ParseSizes(sizes); err != nil {
		return err
	}
	switch mode {
	case "both":
		cfg.modes = []string{bench.RoundTrip, bench.Stream}
	case bench.RoundTrip, bench.Stream:
		cfg.modes = []string{mode}
	default:
		return fmt.Errorf("-mode must be rtt, stream or both, not %q", mode)
	}
	switch {
	case cfg.count < 0 || cfg.count > 10_000_000:
		return fmt.Errorf("-count must be from 1 to 10000000 messages (0 for the default), not %d", cfg.count)
	case cfg.reps < 1 || cfg.reps > 100:
		return fmt.Errorf("-reps must be from 1 to 100, not %d", cfg.reps)
	case cfg.timeout <= 0:
		return fmt.Errorf("-timeout must be above zero, not %v", cfg.timeout)
	}
	return checkCPU(cfg.cpu)
}

// checkCPU accepts -1 or a CPU this process may run on.
func checkCPU(cpu int) error {
	if cpu == -1 {
		return nil
	}
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return err
	}
	if cpu < 0 || cpu >= 1024 || !set.IsSet(cpu) {
		return fmt.Errorf("-cpu %d is not a CPU this process may run on (-1 to not pin)", cpu)
	}
	return nil
}

func joinNames() string {
	out := ""
	for i, n := range bench.Names() {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out + " (or all)"
}
