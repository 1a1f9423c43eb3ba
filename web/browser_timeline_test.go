package web

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The timeline tests read the lanes of the timeline as a class would see
// them: how large each lane's name is on the screen, whether every process
// has a lane a reader can reach, and whether every mark sits on the lane of
// its process. Before the lanes had a least size, the race with eight
// workers in projector view at 1280x720 drew its nine names 8 px tall.

// tlLane is one lane of the timeline as the screen shows it.
type tlLane struct {
	Name  string  `json:"name"`
	Shown bool    `json:"shown"`
	PX    float64 `json:"px"`    // the name's font size on the screen
	Y     float64 `json:"y"`     // the lane's line, in the drawing
	Top   float64 `json:"top"`   // the name's box on the screen
	Bot   float64 `json:"bot"`   // (its top and bottom)
	Clear bool    `json:"clear"` // the name is inside the timeline's box
}

// tlFacts is what the timeline shows at one moment.
type tlFacts struct {
	Lanes  []tlLane `json:"lanes"`
	Shown  int      `json:"shown"`
	First  int      `json:"first"`
	Marks  int      `json:"marks"`
	Astray []string `json:"astray"` // marks drawn off the line of their lane
	Panel  float64  `json:"panel"`  // the panel's height
	Grown  string   `json:"grown"`  // the height the timeline asked the page for
}

// tlFactsJS reads the timeline: every lane's name and its size on the
// screen, and every mark in view against the line of its lane.
const tlFactsJS = `(() => {
	const tl = document.querySelector('#timeline');
	const box = tl.getBoundingClientRect();
	const bottom = box.top + tl.clientHeight;
	const lines = [...tl.querySelectorAll('.tl-lanes line')];
	const lanes = [...tl.querySelectorAll('.tl-labels > g')].slice(1).map((g, i) => {
		const t = g.querySelector('.tl-name');
		const r = t.getBoundingClientRect();
		const shown = getComputedStyle(t).visibility === 'visible' && r.height > 0;
		return { name: t.textContent, shown, px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
			y: Number(lines[i].getAttribute('y1')), top: r.top, bot: r.bottom,
			clear: r.top >= box.top - 1 && r.bottom <= bottom + 1 };
	});
	const astray = [];
	let marks = 0;
	for (const m of tl.querySelectorAll('.tl-marks > g')) {
		const glyph = m.firstElementChild;
		if (m.getAttribute('visibility') === 'hidden' || getComputedStyle(glyph).visibility !== 'visible') continue;
		const lane = Number(m.dataset.lane);
		if (lane < 0) continue;
		marks++;
		const y = m.transform.baseVal.consolidate().matrix.f;
		if (!lanes[lane] || !lanes[lane].shown || Math.abs(y - lanes[lane].y) > 0.5) astray.push(m.getAttribute('class') + ' of lane ' + m.dataset.lane + ' at y ' + y);
	}
	const shown = lanes.filter((l) => l.shown).length;
	return { lanes, shown, first: Math.max(0, lanes.findIndex((l) => l.shown)), marks, astray,
		panel: document.querySelector('#timeline-panel').getBoundingClientRect().height,
		grown: document.querySelector('#app').style.getPropertyValue('--tl-h') };
})()`

// tlSettledJS holds once the timeline has fitted its panel to its lanes
// and drawn them at the size the panel has.
const tlSettledJS = `(() => {
	const tl = document.querySelector('#timeline');
	const svg = tl.querySelector('svg');
	return !tl.dataset.fit && Number(svg.getAttribute('height')) === tl.clientHeight && Number(svg.getAttribute('width')) === tl.clientWidth;
})()`

// checkLanesRead checks the lanes in view: each name at least least px
// tall, inside the timeline, the next name at least its size further down;
// and every mark in view on its lane's line. It returns the names seen.
func checkLanesRead(t *testing.T, f tlFacts, least float64) []string {
	t.Helper()
	var seen []string
	var prev *tlLane
	for i := range f.Lanes {
		l := &f.Lanes[i]
		if !l.Shown {
			continue
		}
		seen = append(seen, l.Name)
		if l.PX < least || !l.Clear {
			t.Errorf("lane %s: name %.1f px, inside the timeline %v; want at least %v px, inside", l.Name, l.PX, l.Clear, least)
		}
		if prev != nil && l.Y-prev.Y < prev.PX {
			t.Errorf("lanes %s and %s are %.1f px apart, less than their names' %.1f px", prev.Name, l.Name, l.Y-prev.Y, prev.PX)
		}
		prev = l
	}
	if len(f.Astray) > 0 {
		t.Errorf("%d of the %d marks in view are off the line of their lane: %q", len(f.Astray), f.Marks, f.Astray[:min(5, len(f.Astray))])
	}
	return seen
}

// reachLanes reads the lanes in view, then scrolls the timeline down a lane
// at a time until the last lane shows, and returns every name seen.
func reachLanes(t *testing.T, ctx context.Context, least float64) (tlFacts, []string) {
	t.Helper()
	f := eval[tlFacts](t, ctx, tlFactsJS)
	seen := checkLanesRead(t, f, least)
	if f.Marks == 0 {
		t.Error("the timeline shows no marks on its lanes")
	}
	for first := f.First; f.First+f.Shown < len(f.Lanes); {
		first++
		pitch := f.Lanes[1].Y - f.Lanes[0].Y
		eval[chromedp.Void](t, ctx, fmt.Sprintf(`document.querySelector('#timeline').scrollTop = %f`, float64(first)*pitch))
		waitFor(t, ctx, fmt.Sprintf("lane %d at the top of the timeline", first+1),
			fmt.Sprintf(`getComputedStyle(document.querySelectorAll('#timeline .tl-name')[%d]).visibility === 'visible' &&
				getComputedStyle(document.querySelectorAll('#timeline .tl-name')[%d]).visibility === 'hidden'`, first, first-1), 5*time.Second)
		f = eval[tlFacts](t, ctx, tlFactsJS)
		for _, name := range checkLanesRead(t, f, least) {
			if !slices.Contains(seen, name) {
				seen = append(seen, name)
			}
		}
	}
	return f, seen
}

// TestBrowserTimelineLanes runs the race with eight workers, the most
// processes the catalogue has, and reads the timeline's lanes: in projector
// view at 1280x720 every name in view is at least 16 px tall, and in normal
// view at 1366x768 at least 12 px; every process's lane is in view or a
// scroll away; every mark sits on its lane. A socket with four clients has
// five lanes: in projector view the panel grows to show them all at once,
// names at full size. With the two processes of a pipe, the names are at
// full size and the panel keeps its height.
func TestBrowserTimelineLanes(t *testing.T) {
	ts := newTestServer(t)
	race := map[string]string{"workers": "8", "increments": "25", "sync": "none"}
	for _, c := range []struct {
		view, scenario string
		params         map[string]string
		w, h           int64
		least          float64
		all            bool // every lane in view at once
	}{
		{"projector", "race", race, 1280, 720, 16, false},
		{"normal", "race", race, 1366, 768, 12, false},
		{"projector", "socket-unix", map[string]string{"clients": "4"}, 1280, 720, 17, true},
		{"projector", "pipe", map[string]string{"messages": "8"}, 1280, 720, 17, true},
	} {
		t.Run(c.view+"-"+c.scenario, func(t *testing.T) {
			ctx := newBrowser(t, 120*time.Second)
			id := startFromPage(t, ctx, ts.URL, c.view, c.scenario, c.params, "")
			run(t, ctx, chromedp.EmulateViewport(c.w, c.h))
			if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
				t.Fatalf("the session %s", state)
			}
			snap := getSession(t, ts.URL, id)
			// The lanes are laid out again after a resize: wait for the
			// timeline to have fitted its panel and drawn them at its size.
			waitFor(t, ctx, "a lane per process", fmt.Sprintf(`document.querySelectorAll('#timeline .tl-name').length === %d`, len(snap.Processes)), 10*time.Second)
			waitFor(t, ctx, "the timeline drawn at its size", tlSettledJS, 10*time.Second)
			screenshot(t, ctx, fmt.Sprintf("timeline-%s-%s.png", c.scenario, c.view))
			at := eval[tlFacts](t, ctx, tlFactsJS)
			if c.all && at.Shown != len(at.Lanes) {
				t.Errorf("%d of %d lanes in view at once, in a panel %.0f px tall; want all", at.Shown, len(at.Lanes), at.Panel)
			}
			f, seen := reachLanes(t, ctx, c.least)
			for _, p := range snap.Processes {
				if !slices.Contains(seen, p.Name) {
					t.Errorf("%s has no lane a reader can reach; the lanes seen: %v", p.Name, seen)
				}
			}
			t.Logf("%d lanes, %d in view at once, names %.0f px, panel %.0f px tall (asked for %q)",
				len(f.Lanes), f.Shown, f.Lanes[len(f.Lanes)-1].PX, f.Panel, f.Grown)
			if c.scenario == "pipe" && (f.Shown != len(f.Lanes) || f.Grown != "" || math.Abs(f.Panel-150) > 1) {
				t.Errorf("two processes: %d of %d lanes in view, the panel %.0f px tall, asked for %q; want all in view and the panel as it was (150 px)",
					f.Shown, len(f.Lanes), f.Panel, f.Grown)
			}
		})
	}
}
