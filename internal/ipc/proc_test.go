package ipc

import "testing"

func TestParseProcStat(t *testing.T) {
	for _, c := range []struct {
		line string
		want ProcStat
		bad  bool
	}{
		{"42 (sleep) S 1 42 42 0 -1 4194304 ...", ProcStat{State: 'S', PPID: 1, PGID: 42}, false},
		{"43 (a) b) (c) Z 42 40 40 0", ProcStat{State: 'Z', PPID: 42, PGID: 40}, false}, // a name with parentheses
		{"44 (w) T 1 44", ProcStat{State: 'T', PPID: 1, PGID: 44}, false},
		{"45 (w) t 1 45", ProcStat{State: 't', PPID: 1, PGID: 45}, false},
		{"46 (w) S", ProcStat{}, true},
		{"47 w S 1 1", ProcStat{}, true},
		{"48 (w) S x 1", ProcStat{}, true},
	} {
		got, err := parseProcStat([]byte(c.line))
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("parseProcStat(%q) = %+v, %v; want %+v (error %v)", c.line, got, err, c.want, c.bad)
		}
	}
	if !(ProcStat{State: 'T'}).Stopped() || !(ProcStat{State: 't'}).Stopped() || (ProcStat{State: 'S'}).Stopped() {
		t.Error("Stopped is wrong")
	}
}
