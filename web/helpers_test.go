package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ipc-playground/ipc-playground/internal/event"
	"github.com/ipc-playground/ipc-playground/internal/ipc"
)

// created is the answer to POST /api/sessions.
type created struct {
	ID             string `json:"id"`
	ViewerURL      string `json:"viewer_url"`
	EventsURL      string `json:"events_url"`
	PresenterToken string `json:"presenter_token"`
}

// do sends a request with an optional JSON body and header pairs, and
// returns the status and body.
func (ts *testServer) do(t testing.TB, method, path, body string, headers ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// create starts a session and fails the test if the server refuses.
func (ts *testServer) create(t testing.TB, body string) created {
	t.Helper()
	status, b := ts.do(t, "POST", "/api/sessions", body)
	if status != http.StatusCreated {
		t.Fatalf("create %s: %d %s", body, status, b)
	}
	var c created
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// readStream reads a session's WebSocket until the server closes it and
// returns every event, in order.
func readStream(t testing.TB, url string, d time.Duration) []event.Event {
	t.Helper()
	evs, err := readStreamErr(url, d)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// readStreamErr is readStream for goroutines other than the test's own.
func readStreamErr(url string, d time.Duration) ([]event.Event, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	defer c.CloseNow()
	c.SetReadLimit(16 << 20)
	var evs []event.Event
	for {
		typ, b, err := c.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				return evs, nil
			}
			return evs, fmt.Errorf("read stream after %d events: %w", len(evs), err)
		}
		if typ != websocket.MessageText {
			return evs, fmt.Errorf("message of type %v", typ)
		}
		more, err := decodeMessageErr(b)
		if err != nil {
			return evs, err
		}
		evs = append(evs, more...)
	}
}

// decodeMessage decodes one WebSocket message: an event or an array.
func decodeMessage(t testing.TB, b []byte) []event.Event {
	t.Helper()
	evs, err := decodeMessageErr(b)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func decodeMessageErr(b []byte) ([]event.Event, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var evs []event.Event
		if err := json.Unmarshal(b, &evs); err != nil {
			return nil, fmt.Errorf("decode %s: %w", b, err)
		}
		return evs, nil
	}
	var e event.Event
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", b, err)
	}
	return []event.Event{e}, nil
}

// decodeJSONL decodes events.jsonl.
func decodeJSONL(t testing.TB, b []byte) []event.Event {
	t.Helper()
	var evs []event.Event
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var e event.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("decode line %q: %v", sc.Text(), err)
		}
		evs = append(evs, e)
	}
	return evs
}

// checkStream asserts the contract's invariants on a session's events:
// seq from 1 without a gap, t never decreasing, every receive after its
// send, and a terminal session event last and only last.
func checkStream(t testing.TB, evs []event.Event) {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	sent := map[int64]bool{}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i+1, e.Seq)
		}
		if i > 0 && e.T < evs[i-1].T {
			t.Fatalf("seq %d: t went back from %d to %d", e.Seq, evs[i-1].T, e.T)
		}
		if e.Terminal() && i != len(evs)-1 {
			t.Fatalf("seq %d is terminal but %d events follow", e.Seq, len(evs)-1-i)
		}
		for k := range e.Attrs {
			if !knownAttrKeys(t)[k] {
				t.Fatalf("seq %d (%s) carries attrs.%s, which internal/event/attrs.go does not name", e.Seq, e.Kind, k)
			}
		}
		// Every object named has its kind, a field of its own.
		if e.Obj != "" && (e.ObjKind == "" || !strings.HasPrefix(e.Obj, e.ObjKind+":")) {
			t.Fatalf("seq %d names %q with obj_kind %q", e.Seq, e.Obj, e.ObjKind)
		}
		switch e.Kind {
		case event.KindWrite, event.KindSend:
			if e.Msg != 0 {
				sent[e.Msg] = true
			}
		case event.KindRead, event.KindRecv:
			if e.Msg != 0 && !sent[e.Msg] {
				t.Fatalf("seq %d: %s of message %d before its send", e.Seq, e.Kind, e.Msg)
			}
		}
	}
	if !evs[len(evs)-1].Terminal() {
		t.Fatalf("last event is not a terminal session event: %+v", evs[len(evs)-1])
	}
}

// count returns how many events are of kind (with bytes > 0 for data).
func count(evs []event.Event, kind string) int {
	n := 0
	for _, e := range evs {
		if e.Kind == kind && (e.Bytes > 0 || (kind != event.KindRead && kind != event.KindWrite)) {
			n++
		}
	}
	return n
}

// pidsOf lists every pid the events name.
func pidsOf(evs []event.Event) []int {
	seen := map[int]bool{}
	var pids []int
	for _, e := range evs {
		if e.PID != 0 && !seen[e.PID] {
			seen[e.PID] = true
			pids = append(pids, e.PID)
		}
	}
	return pids
}

// assertGone fails the test if any pid still names a process (zombies
// included: a process the server forgot to reap is a leak too).
func assertGone(t testing.TB, pids []int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for {
			err := syscall.Kill(pid, 0)
			if errors.Is(err, syscall.ESRCH) {
				break
			}
			if time.Now().After(deadline) {
				stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
				t.Fatalf("process %d is still there: %s", pid, stat)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// children lists the pids whose parent is this test process.
func children(t testing.TB) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	me := os.Getpid()
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The fields after the command's closing parenthesis: state, ppid.
		rest := b[bytes.LastIndexByte(b, ')')+2:]
		f := strings.Fields(string(rest))
		if len(f) > 1 && f[1] == strconv.Itoa(me) {
			out = append(out, pid)
		}
	}
	return out
}

// assertObjectsGone checks, against the kernel, that no object the session
// listed in its first event still exists: no queue, segment or semaphore
// set by its key, no name under /dev/shm or in the mqueue file system, no
// FIFO or socket file.
func assertObjectsGone(t testing.TB, evs []event.Event) {
	t.Helper()
	if len(evs) == 0 || evs[0].Kind != event.KindSession {
		t.Fatal("no session event to read the objects from")
	}
	objs, _ := evs[0].Attrs["objects"].([]any)
	for _, raw := range objs {
		o, _ := raw.(map[string]any)
		kind, _ := o["kind"].(string)
		name, _ := o["name"].(string)
		keyf, _ := o["key"].(float64)
		key := int(keyf)
		var exists bool
		var err error
		switch kind {
		case "mq-posix":
			exists, err = ipc.MqExists(name)
		case "shm-posix":
			exists, err = ipc.ShmExists(name)
		case "msg-sysv":
			exists, err = ipc.MsgKeyExists(key)
		case "shm-sysv":
			exists, err = ipc.ShmKeyExists(key)
		case "sem-sysv":
			exists, err = ipc.SemKeyExists(key)
		case "fifo", "socket-dir":
			_, serr := os.Lstat(name)
			exists = serr == nil
		case "pipe":
			continue
		default:
			t.Fatalf("object of unknown kind %q", kind)
		}
		if err != nil {
			t.Fatalf("check %s %s: %v", kind, name, err)
		}
		if exists {
			t.Errorf("%s object %v (key %#x) still exists after the session", kind, name, key)
		}
	}
}

var attrKeys struct {
	once sync.Once
	keys map[string]bool
	err  error
}

// knownAttrKeys reads the attrs keys internal/event/attrs.go names.
func knownAttrKeys(t testing.TB) map[string]bool {
	t.Helper()
	attrKeys.once.Do(func() {
		f, err := parser.ParseFile(token.NewFileSet(), "../internal/event/attrs.go", nil, 0)
		if err != nil {
			attrKeys.err = err
			return
		}
		attrKeys.keys = map[string]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			if v, ok := n.(*ast.ValueSpec); ok {
				for _, x := range v.Values {
					if lit, ok := x.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						k, _ := strconv.Unquote(lit.Value)
						attrKeys.keys[k] = true
					}
				}
			}
			return true
		})
	})
	if attrKeys.err != nil {
		t.Fatal(attrKeys.err)
	}
	return attrKeys.keys
}
