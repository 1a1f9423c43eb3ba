package pipefill

import (
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "write testdata/replay.json from the model")

// replay is a run of writes and reads on pipes of 1, 2 and 16 pages, with
// what the model says of each step. The page's own replay of the model
// (static/js/pipepages.js) is tested on the same file, so the stage and
// the server explain a pipe the same way.
type replay struct {
	Page  int          `json:"page"`
	Pipes []replayPipe `json:"pipes"`
}

type replayPipe struct {
	Cap   int          `json:"cap"`
	Steps []replayStep `json:"steps"`
}

// replayStep is a write (n > 0) or a read (n < 0), the bytes it moved,
// and the pipe after it.
type replayStep struct {
	N      int     `json:"n"`
	Moved  int     `json:"moved"`
	Unread int     `json:"unread"`
	Used   int     `json:"used"`
	Fits   bool    `json:"fits_512"` // whether a write of 512 bytes would go in now
	Pages  [][]int `json:"pages"`    // offset and length of each slot in use
}

func makeReplay() replay {
	const page = 4096
	r := replay{Page: page}
	rng := rand.New(rand.NewPCG(7, 15))
	sizes := []int{1, 100, 512, 1000, 3000, 4096, 5000, 9000}
	for _, pages := range []int{1, 2, 16} {
		p := New(pages*page, page)
		rp := replayPipe{Cap: pages * page}
		for range 200 {
			n := sizes[rng.IntN(len(sizes))]
			var moved int
			// The big pipe gets more writes than reads, so it fills too.
			if rng.IntN(10) < 5+2*(pages/16) {
				moved = p.Write(n)
			} else {
				n = -n
				moved = p.Read(-n)
			}
			used, _ := p.Slots()
			st := replayStep{N: n, Moved: moved, Unread: p.Unread(), Used: used, Fits: p.Fits(512), Pages: [][]int{}}
			for _, b := range p.Pages() {
				st.Pages = append(st.Pages, []int{b.Offset, b.Len})
			}
			rp.Steps = append(rp.Steps, st)
		}
		r.Pipes = append(r.Pipes, rp)
	}
	return r
}

// TestReplayFile checks that testdata/replay.json is what the model does
// (go test -run TestReplayFile -update ./internal/pipefill writes it).
func TestReplayFile(t *testing.T) {
	path := filepath.Join("testdata", "replay.json")
	want := makeReplay()
	if *update {
		b, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got replay
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatal("testdata/replay.json is not what the model does: go test -run TestReplayFile -update ./internal/pipefill")
	}
	moved, waited := 0, 0
	for _, p := range want.Pipes {
		for _, s := range p.Steps {
			moved += s.Moved
			if s.N > 0 && s.Moved == 0 {
				waited++
			}
		}
	}
	if moved == 0 || waited == 0 {
		t.Fatalf("the replay moves %d bytes and has %d writes that must wait: it tests little", moved, waited)
	}
}
