package web

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// What both browsers are asked to show: the page is read by one piece of
// JavaScript into plain values, whichever browser runs it, and the checks
// below compare those values with the server. A check written here holds
// for Chromium and for Firefox alike.

const artifacts = "testdata/artifacts"

// saveArtifact keeps a screenshot as testdata/artifacts/name.
func saveArtifact(t testing.TB, name string, png []byte) {
	t.Helper()
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	// The screenshots are for people to look at, never for the repository.
	if err := os.WriteFile(filepath.Join(artifacts, ".gitignore"), []byte("*\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artifacts, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sessionEndedJS holds once the page shows the session's last event: the
// status says it ended and the result line is up.
const sessionEndedJS = `['finished','failed','stopped'].includes(document.querySelector('#state').dataset.state) &&
	!document.querySelector('#result').hidden`

// boxesExitedJS holds once every process box shows its exit. While the
// page catches up with a fast stream it redraws one part per frame, so
// the status may say the session ended a few frames before the boxes do.
const boxesExitedJS = `[...document.querySelectorAll('#stage .proc')].every((g) => g.dataset.state === 'exited')`

// eventsShownJS is the number of events the status line counts; 0 before
// the line has its first count, which a poll may well see.
const eventsShownJS = `Number(document.querySelector('#count-events')?.textContent.replace(/,/g, '') ?? 0)`

// procBox is what the stage shows of one process.
type procBox struct {
	Name   string `json:"name"`
	State  string `json:"state"`
	PID    string `json:"pid"`
	Word   string `json:"word"`
	Detail string `json:"detail"`
}

// procBoxJS reads one process box (the SVG group g) into a procBox.
const procBoxJS = `((g) => ({ name: g.dataset.proc, state: g.dataset.state, pid: g.querySelector('.pid').textContent,
	word: g.querySelector('.state').textContent, detail: g.querySelector('.detail').textContent }))`

// procBoxesJS reads every process box on the stage.
const procBoxesJS = `[...document.querySelectorAll('#stage .proc')].map(` + procBoxJS + `)`

// stageFacts is what the page shows at the end of a session, read in one
// go by stageFactsJS.
type stageFacts struct {
	State     string    `json:"state"`
	Result    string    `json:"result"`
	Events    string    `json:"events"`
	Received  string    `json:"received"`
	Lost      string    `json:"lost"`
	Boxes     []procBox `json:"boxes"`
	Drawing   []int     `json:"drawing"` // size on screen of the mechanism's own shape
	Cells     int       `json:"cells"`
	Light     string    `json:"light"`
	Signals   string    `json:"signals"`
	Counter   string    `json:"counter"`
	HotEdges  int       `json:"hotEdges"`
	WasEdges  int       `json:"wasEdges"` // the cycle's arrows once it is broken
	Cycle     string    `json:"cycle"`    // the words under DEADLOCK
	LostMarks []string  `json:"lostMarks"`
	Kernel    string    `json:"kernel"`
}

// stageFactsJS is an expression that reads the stage into stageFacts;
// drawing names the shape the scenario's mechanism draws (a tube, a queue,
// a traffic light). The counts lose their thousands separators.
func stageFactsJS(drawing string) string {
	return `((drawing) => {
		const all = (sel) => [...document.querySelectorAll(sel)];
		const text = (sel) => (document.querySelector(sel) || {}).textContent || '';
		const shape = document.querySelector('#stage ' + drawing);
		const box = shape ? shape.getBoundingClientRect() : { width: 0, height: 0 };
		return {
			state: document.querySelector('#state').dataset.state,
			result: text('#result'),
			events: text('#count-events').replace(/,/g, ''),
			received: text('#count-received').replace(/,/g, ''),
			lost: text('#count-lost').replace(/,/g, ''),
			boxes: ` + procBoxesJS + `,
			drawing: [Math.round(box.width), Math.round(box.height)],
			cells: all('#stage .cell[data-set]').length,
			light: text('#stage .light .sem-value'),
			signals: all('#stage .sig-line text').map((x) => x.textContent).join('; '),
			counter: text('#stage .counter'),
			hotEdges: all('#stage .edge.hot:not([visibility="hidden"])').length,
			wasEdges: all('#stage .edge.was:not([visibility="hidden"])').length,
			cycle: text('#stage .cycle-sub'),
			lostMarks: all('#stage .lost-mark').map((x) => x.textContent).filter((x) => x),
			kernel: text('#kernel'),
		};
	})(` + strconv.Quote(drawing) + `)`
}

// scenarioCase says how to run one scenario from the page and what its
// stage must show at the end, beyond what every scenario shows.
type scenarioCase struct {
	params  map[string]string
	drawing string // the mechanism's own shape, a selector under #stage
	check   func(stageFacts, *testing.T, sessionSnapshot)
}

// scenarioCases holds small runs of every scenario in the catalogue. A
// socket's cable is a line, level when one client talks to one server, so
// what is measured there is the cable with the socket's name and numbers.
var scenarioCases = map[string]scenarioCase{
	"pipe":        {map[string]string{"messages": "8"}, ".tube-body", stageFacts.receivedAll},
	"fifo":        {map[string]string{"messages": "6", "reader_arrives_ms": "100"}, ".tube-body", stageFacts.receivedAll},
	"mq-posix":    {map[string]string{"producers": "1", "consumers": "1", "messages": "10", "maxmsg": "4", "consumer_delay_ms": "30"}, ".queue-body", stageFacts.receivedAll},
	"mq-sysv":     {map[string]string{"messages": "10"}, ".queue-body", stageFacts.receivedAll},
	"shm-posix":   {map[string]string{"messages": "6"}, ".shm", stageFacts.showsCells},
	"shm-sysv":    {map[string]string{"messages": "6"}, ".shm", stageFacts.showsCells},
	"semaphore":   {map[string]string{"processes": "3", "permits": "1", "rounds": "1", "hold_ms": "80"}, ".housing", stageFacts.showsLight},
	"socket-unix": {map[string]string{"clients": "1", "messages": "6"}, ".cables > g", stageFacts.receivedAll},
	"socket-tcp":  {map[string]string{"clients": "1", "messages": "6"}, ".cables > g", stageFacts.receivedAll},
	"socket-udp":  {map[string]string{"clients": "1", "messages": "20"}, ".cables > g", stageFacts.lostDatagrams},
	"signal":      {map[string]string{"signals": "5"}, ".sig-line", stageFacts.showsSignals},
	"race":        {map[string]string{"workers": "2", "increments": "200"}, ".shm", stageFacts.showsRace},
	"deadlock":    {map[string]string{"hold_ms": "300"}, ".res", stageFacts.showsCycle},
}

// checkBoxes compares the boxes on the stage with the server: one box per
// process with its real pid, and each process that exited shown exited
// the way its exit event says (code or signal).
func checkBoxes(t *testing.T, boxes []procBox, base, id string, snap sessionSnapshot) {
	t.Helper()
	if len(boxes) != len(snap.Processes) {
		t.Fatalf("the stage shows %d processes, the session has %d: %+v", len(boxes), len(snap.Processes), boxes)
	}
	byName := map[string]procBox{}
	for _, b := range boxes {
		byName[b.Name] = b
	}
	for _, p := range snap.Processes {
		b, ok := byName[p.Name]
		if !ok {
			t.Errorf("no box for process %s", p.Name)
			continue
		}
		if want := fmt.Sprintf("pid %d", p.PID); b.PID != want {
			t.Errorf("%s shows %q, want %q", p.Name, b.PID, want)
		}
	}
	for _, e := range recorded(t, base, id) {
		if e.Kind != "exit" {
			continue
		}
		b := byName[e.Proc]
		want := fmt.Sprintf("exited, code %d", derefInt(e.Code))
		if e.Sig != "" {
			want = "killed: " + e.Sig
		}
		if b.State != "exited" || b.Word != want {
			t.Errorf("%s shows state %q (%q), want exited (%q)", e.Proc, b.State, b.Word, want)
		}
	}
}

// checkCommon makes the checks every scenario gets: the page and the
// server agree that the session finished and on the number of events, the
// processes are shown as they were, and the mechanism's shape takes room
// on the screen.
func (f stageFacts) checkCommon(t *testing.T, base, id string, snap sessionSnapshot) {
	t.Helper()
	if f.State != snap.State || f.State != "finished" {
		t.Errorf("the page says %s, the server %s: %s", f.State, snap.State, f.Result)
	}
	if f.Events != fmt.Sprint(snap.Events) {
		t.Errorf("the page counted %s events, the session logged %d", f.Events, snap.Events)
	}
	if len(f.Drawing) != 2 || f.Drawing[0] < 20 || f.Drawing[1] < 20 {
		t.Errorf("the mechanism's drawing takes %v pixels on the screen", f.Drawing)
	}
	// After the end nothing of the session is left, and the kernel panel
	// lists nothing.
	if !strings.Contains(f.Kernel, "(none running)") ||
		!strings.Contains(f.Kernel, "every IPC object of this session is gone") && !strings.Contains(f.Kernel, "made no IPC object") {
		t.Errorf("after the end the kernel panel reads %q", f.Kernel)
	}
	checkBoxes(t, f.Boxes, base, id, snap)
}

// receivedAll: the result says how many of the messages arrived, and the
// count above the stage agrees with it.
func (f stageFacts) receivedAll(t *testing.T, snap sessionSnapshot) {
	t.Helper()
	sent, _ := snap.Result["messages_sent"].(float64)
	got, _ := snap.Result["messages_received"].(float64)
	if want := fmt.Sprintf("%d of %d messages received", int(got), int(sent)); !strings.Contains(f.Result, want) {
		t.Errorf("the result reads %q, want %q", f.Result, want)
	}
	if f.Received != fmt.Sprint(int(got)) {
		t.Errorf("the received count shows %s, the result says %d", f.Received, int(got))
	}
}

// lostDatagrams: what receivedAll checks, and the lost count agrees with
// the server's, and a loss is marked on the line the datagrams took.
func (f stageFacts) lostDatagrams(t *testing.T, snap sessionSnapshot) {
	t.Helper()
	f.receivedAll(t, snap)
	lost, _ := snap.Result["lost"].(float64)
	if f.Lost != fmt.Sprint(int(lost)) {
		t.Errorf("the lost count shows %q, the result says %d", f.Lost, int(lost))
	}
	if lost == 0 {
		t.Logf("no datagram was lost this time: nothing fell off the line")
		return
	}
	// The mark gives the kernel's drop count once a reading has it, and
	// how many are known lost by number.
	if len(f.LostMarks) == 0 || !strings.HasSuffix(f.LostMarks[0], " lost") &&
		!strings.HasSuffix(f.LostMarks[0], fmt.Sprintf(", %d known by number", int(lost))) {
		t.Errorf("%d datagrams lost, but the stage marks none: %q", int(lost), f.LostMarks)
	}
}

func (f stageFacts) showsCells(t *testing.T, _ sessionSnapshot) {
	t.Helper()
	if f.Cells == 0 {
		t.Error("no shared-memory cell shows a byte")
	}
}

func (f stageFacts) showsLight(t *testing.T, _ sessionSnapshot) {
	t.Helper()
	if !strings.HasPrefix(f.Light, "value ") {
		t.Errorf("the semaphore's light reads %q", f.Light)
	}
}

func (f stageFacts) showsSignals(t *testing.T, _ sessionSnapshot) {
	t.Helper()
	if !strings.Contains(f.Signals, "sent") {
		t.Errorf("no signal line on the stage: %q", f.Signals)
	}
}

// showsRace: the counter's final value and the lost updates, as the
// result reports them.
func (f stageFacts) showsRace(t *testing.T, snap sessionSnapshot) {
	t.Helper()
	exp, _ := snap.Result["expected"].(float64)
	act, _ := snap.Result["actual"].(float64)
	want := fmt.Sprintf("counter %d, expected %d: no update lost", int(act), int(exp))
	if lost := int(exp - act); lost > 0 {
		want = fmt.Sprintf("counter %d, expected %d: %d updates lost", int(act), int(exp), lost)
		if lost == 1 {
			want = fmt.Sprintf("counter %d, expected %d: 1 update lost", int(act), int(exp))
		}
	}
	if !strings.Contains(f.Result, want) {
		t.Errorf("the result reads %q, want %q", f.Result, want)
	}
	if !strings.Contains(f.Counter, "counter = ") {
		t.Errorf("the shared counter reads %q", f.Counter)
	}
}

// showsCycle: at the end, the deadlock's wait-for cycle is drawn broken
// (grey, no longer red), its words name the victim the server killed,
// and the victim's box shows so.
func (f stageFacts) showsCycle(t *testing.T, _ sessionSnapshot) {
	t.Helper()
	if f.WasEdges < 4 || f.HotEdges != 0 {
		t.Errorf("the cycle has %d broken arrows and %d red ones, want at least 4 broken (two waits, two holds) and no red", f.WasEdges, f.HotEdges)
	}
	for _, b := range f.Boxes {
		if strings.HasPrefix(b.Word, "killed") {
			if want := "broken: the server killed " + b.Name; f.Cycle != want {
				t.Errorf("the cycle reads %q, want %q", f.Cycle, want)
			}
			return
		}
	}
	t.Error("no process shows it was killed to break the deadlock")
}
