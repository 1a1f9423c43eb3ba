package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Skipped is a cell that cannot run, and why.
type Skipped struct {
	Mechanism string `json:"mechanism"`
	Mode      string `json:"mode"`
	Size      int    `json:"size"`
	Why       string `json:"why"`
}

// Cells lists the cells of a run in the order of the tables: by mode, then
// mechanism, then size; those a mechanism cannot run are in skipped.
// count is each cell's message count; 0 takes DefaultCount.
func Cells(mechanisms, modes []string, sizes []int, count int) (cells []Cell, skipped []Skipped) {
	for _, mode := range modes {
		for _, name := range mechanisms {
			m, ok := Lookup(name)
			if !ok {
				continue
			}
			for _, size := range sizes {
				if why := m.Skip(mode, size); why != "" {
					skipped = append(skipped, Skipped{Mechanism: name, Mode: mode, Size: size, Why: why})
					continue
				}
				n := count
				if n == 0 {
					n = DefaultCount(mode, size)
				}
				cells = append(cells, Cell{Mechanism: name, Mode: mode, Size: size, Count: n})
			}
		}
	}
	return cells, skipped
}

// DefaultCount is enough messages for a repetition of a tenth of a second
// or so on a small machine: round trips take microseconds, and a stream's
// cost grows with the size.
func DefaultCount(mode string, size int) int {
	switch {
	case mode == RoundTrip:
		return 5000
	case size <= 1024:
		return 50000
	case size <= 16384:
		return 20000
	}
	return 5000
}

// WriteTable prints results as a plain-text table, then the cells that
// could not run and why, then how they were measured.
func WriteTable(w io.Writer, results []Result, skipped []Skipped) error {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mechanism\tmode\tsize\tmsg/s\tMB/s\trtt p50\trtt p99\tctxsw/msg\tcopies\t")
	for _, r := range results {
		p50, p99 := "-", "-"
		if r.Mode == RoundTrip {
			p50, p99 = Duration(r.RTTP50NS), Duration(r.RTTP99NS)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f\t%s\t%s\t%.2f\t%d\t\n", r.Mechanism, r.Mode, Bytes(r.Size),
			Rate(r.MsgsPerS), r.MBPerS, p50, p99, r.CtxswPerMsg, r.Copies)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, r := range results {
		if !seen[r.Mechanism] {
			seen[r.Mechanism] = true
			fmt.Fprintf(w, "  %s: %d copies: %s\n", r.Mechanism, r.Copies, r.CopiesWhy)
		}
	}
	for _, s := range skipped {
		fmt.Fprintf(w, "  not run: %s %s %s: %s\n", s.Mechanism, s.Mode, Bytes(s.Size), s.Why)
	}
	if len(results) > 0 {
		_, err := fmt.Fprintln(w, Method(results[0]))
		return err
	}
	return nil
}

// Method says in a sentence how r was measured.
func Method(r Result) string {
	pin := "not pinned: the scheduler placed them"
	if r.CPU >= 0 {
		pin = fmt.Sprintf("both pinned to CPU %d", r.CPU)
	}
	return fmt.Sprintf("Two processes per cell (%s); %d untimed messages first, then %d timed repetitions of the count, "+
		"medians shown; rtt: msg/s counts round trips; ctxsw: both processes' voluntary and involuntary switches "+
		"(getrusage) per message; copies: those the kernel makes.", pin, r.Warmup, r.Reps)
}

// Bytes writes a size as 64 B, 4 KiB, 64 KiB.
func Bytes(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1024 && n%1024 == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// Rate writes a count per second as 1.19 M, 401 k.
func Rate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0f k", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.1f k", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// Duration writes nanoseconds as 7.7 µs or 1.20 ms.
func Duration(ns int64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", float64(ns)/1e6)
	case ns >= 1e4:
		return fmt.Sprintf("%.0f µs", float64(ns)/1e3)
	}
	return fmt.Sprintf("%.1f µs", float64(ns)/1e3)
}

// ParseSizes reads a comma-separated list of sizes in bytes, each with an
// optional K (KiB) or M (MiB): "64,4K,64K".
func ParseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		mult := 1
		switch {
		case strings.HasSuffix(f, "K"), strings.HasSuffix(f, "k"):
			mult, f = 1024, f[:len(f)-1]
		case strings.HasSuffix(f, "M"), strings.HasSuffix(f, "m"):
			mult, f = 1<<20, f[:len(f)-1]
		}
		var n int
		if _, err := fmt.Sscanf(f, "%d", &n); err != nil || fmt.Sprint(n) != f {
			return nil, fmt.Errorf("%q is not a size: give bytes, or KiB with K (64,4K,64K)", f)
		}
		if n*mult < 1 || n*mult > MaxSize {
			return nil, fmt.Errorf("a size must be from 1 byte to 1M, not %s", Bytes(n*mult))
		}
		out = append(out, n*mult)
	}
	return out, nil
}

// MaxSize is the largest message a cell may have.
const MaxSize = 1 << 20
