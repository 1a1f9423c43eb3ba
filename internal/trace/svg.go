package trace

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// Geometry of the SVG timeline, in pixels.
const (
	colW      = 14   // one column per event drawn, in seq order
	laneH     = 40   // one lane per process
	leftW     = 150  // the lanes' names
	topH      = 70   // the title and the moments' flags
	lineH     = 16   // a line of the moments' list
	maxCols   = 1500 // events drawn at most; a note says how many were left out
	wrapChars = 120  // a moment's sentence is wrapped at this many characters
	minW      = 900  // wide enough for the wrapped sentences
	markR     = 6.0  // how far from a mark's centre an arrow's head stops
)

// Colours, the page's where it has them.
const (
	inkColor    = "#1f2933"
	laneColor   = "#cbd2d9"
	sendColor   = "#2563eb"
	recvColor   = "#0f766e"
	blockColor  = "#dc2626"
	signalColor = "#9333ea"
	semColor    = "#b45309"
	momentColor = "#d97706"
)

// drawn reports whether an event gets a column of its own in the SVG:
// what processes did, not the server's samples, pacing or notes.
func drawn(e *event.Event) bool {
	switch e.Kind {
	case event.KindWrite, event.KindRead, event.KindSend, event.KindRecv, event.KindBlock, event.KindUnblock,
		event.KindSignal, event.KindDeliver, event.KindWait, event.KindPost, event.KindSpawn, event.KindExit,
		event.KindLost, event.KindError, event.KindDeadlock, event.KindConnect, event.KindAccept:
		return true
	}
	return false
}

// svgPlan places every drawn event in a column and every process in a lane.
type svgPlan struct {
	title   string
	lanes   []string
	lane    map[string]int
	col     map[uint64]int // seq → column
	cols    []*event.Event
	left    int // drawn events left out past maxCols
	moments []*event.Event
	flow    *plan
}

func newSVGPlan(evs []event.Event) *svgPlan {
	p := &svgPlan{title: "session", lane: map[string]int{}, col: map[uint64]int{}, flow: layout(evs)}
	if len(evs) > 0 && evs[0].Kind == event.KindSession {
		sc, _ := evs[0].Attrs[event.AttrScenario].(string)
		id, _ := evs[0].Attrs[event.AttrID].(string)
		p.title = fmt.Sprintf("%s: session %s", sc, id)
	}
	for i := range evs {
		e := &evs[i]
		if e.Kind == event.KindMoment {
			p.moments = append(p.moments, e)
			continue
		}
		if !drawn(e) {
			continue
		}
		if len(p.cols) == maxCols {
			p.left++
			continue
		}
		name := e.Proc
		if name == "" {
			name = "server"
		}
		if _, ok := p.lane[name]; !ok {
			p.lane[name] = len(p.lanes)
			p.lanes = append(p.lanes, name)
		}
		p.col[e.Seq] = len(p.cols)
		p.cols = append(p.cols, e)
	}
	return p
}

func (p *svgPlan) x(col int) int { return leftW + col*colW + colW/2 }

func (p *svgPlan) y(e *event.Event) int {
	name := e.Proc
	if name == "" {
		name = "server"
	}
	return topH + p.lane[name]*laneH + laneH/2
}

// momentCol is the column a moment's flag stands at: its event's, or the
// first drawn after it.
func (p *svgPlan) momentCol(m *event.Event) (int, bool) {
	about := seqAttr(m.Attrs[event.AttrAboutSeq])
	if about == 0 {
		about = m.Seq
	}
	for i, e := range p.cols {
		if e.Seq >= about {
			return i, true
		}
	}
	return 0, false
}

// seqAttr reads a seq from attrs, built in Go or decoded from JSON.
func seqAttr(v any) uint64 {
	switch n := v.(type) {
	case uint64:
		return n
	case int:
		return uint64(n)
	case int64:
		return uint64(n)
	case float64:
		return uint64(n)
	}
	return 0
}

// WriteSVG draws evs, a session's log in seq order, as a timeline for a
// handout: a lane per process, a column per event in seq order (time in
// milliseconds under some of them), marks for data sent and received,
// arrows joining each message's send to its receive, bars for blocked
// calls, and numbered flags for the moments, listed with their sentences
// below.
func WriteSVG(w io.Writer, evs []event.Event) error {
	p := newSVGPlan(evs)
	notes := p.legend()
	width := max(leftW+len(p.cols)*colW+40, minW)
	lanesBottom := topH + len(p.lanes)*laneH
	height := lanesBottom + 40 + len(notes)*lineH + 20
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		width, height, width, height)
	fmt.Fprintf(b, `<title>%s</title>`+"\n", esc(p.title))
	fmt.Fprintf(b, `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker></defs>`+"\n", sendColor)
	fmt.Fprintf(b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(b, `<text x="10" y="22" font-size="16" font-weight="bold" fill="%s">%s</text>`+"\n", inkColor, esc(p.title))
	p.drawLanes(b, width)
	p.drawTimes(b, lanesBottom)
	p.drawBlocks(b)
	p.drawArrows(b, evs)
	for _, e := range p.cols {
		p.drawMark(b, e)
	}
	p.drawMoments(b, lanesBottom)
	for i, line := range notes {
		fmt.Fprintf(b, `<text x="10" y="%d" fill="%s">%s</text>`+"\n", lanesBottom+40+i*lineH, inkColor, esc(line))
	}
	b.WriteString("</svg>\n")
	if err := b.Flush(); err != nil {
		return fmt.Errorf("write svg: %w", err)
	}
	return nil
}

func (p *svgPlan) drawLanes(b *bufio.Writer, width int) {
	for i, name := range p.lanes {
		y := topH + i*laneH + laneH/2
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>`+"\n", leftW, y, width-20, y, laneColor)
		fmt.Fprintf(b, `<text x="10" y="%d" fill="%s">%s</text>`+"\n", y+4, inkColor, esc(name))
	}
}

// drawTimes writes the time of every tenth column under the lanes.
func (p *svgPlan) drawTimes(b *bufio.Writer, bottom int) {
	for i := 0; i < len(p.cols); i += 10 {
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="10" fill="#52606d" text-anchor="middle">%.1f ms</text>`+"\n",
			p.x(i), bottom+14, float64(p.cols[i].T)/1e6)
	}
}

// drawBlocks draws a bar from each block to its unblock, or to the
// process's last drawn event.
func (p *svgPlan) drawBlocks(b *bufio.Writer) {
	open := map[string]*event.Event{}
	lastCol := map[string]int{}
	bar := func(from *event.Event, to int) {
		c := p.col[from.Seq]
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="10" fill="%s" fill-opacity="0.35"><title>%s</title></rect>`+"\n",
			p.x(c), p.y(from)-5, max(p.x(to)-p.x(c), 2), blockColor, esc(fmt.Sprintf("%s blocked in %s on %s", from.Proc, from.Call, from.Obj)))
	}
	for _, e := range p.cols {
		c := p.col[e.Seq]
		switch {
		case e.Kind == event.KindBlock:
			open[e.Proc] = e
		case (e.Kind == event.KindUnblock || e.Kind == event.KindExit) && open[e.Proc] != nil:
			bar(open[e.Proc], c)
			delete(open, e.Proc)
		}
		lastCol[e.Proc] = c
	}
	for _, name := range p.lanes {
		if from := open[name]; from != nil {
			bar(from, max(lastCol[name], len(p.cols)-1))
		}
	}
}

// drawArrows joins each message's send to its first receive.
func (p *svgPlan) drawArrows(b *bufio.Writer, evs []event.Event) {
	sendAt := map[int]*event.Event{}
	for i := range evs {
		id, ok := p.flow.flow[i]
		if !ok {
			continue
		}
		e := &evs[i]
		if p.flow.isSend[i] {
			sendAt[id] = e
			continue
		}
		s := sendAt[id]
		if s == nil {
			continue
		}
		cs, ok1 := p.col[s.Seq]
		cr, ok2 := p.col[e.Seq]
		if !ok1 || !ok2 {
			continue
		}
		x1, y1, x2, y2 := float64(p.x(cs)), float64(p.y(s)), float64(p.x(cr)), float64(p.y(e))
		// The head stops at the edge of the receive's mark, not under it.
		if d := math.Hypot(x2-x1, y2-y1); d > markR {
			x2, y2 = x2-(x2-x1)*markR/d, y2-(y2-y1)*markR/d
		}
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-opacity="0.6" marker-end="url(#arrow)"/>`+"\n",
			x1, y1, x2, y2, sendColor)
	}
}

// drawMark draws one event's mark, with a tooltip naming it.
func (p *svgPlan) drawMark(b *bufio.Writer, e *event.Event) {
	x, y := p.x(p.col[e.Seq]), p.y(e)
	tip := fmt.Sprintf(`<title>%s</title>`, esc(describe(e)))
	switch e.Kind {
	case event.KindWrite, event.KindSend:
		fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="4" fill="%s">%s</circle>`+"\n", x, y, sendColor, tip)
	case event.KindRead, event.KindRecv:
		fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="4" fill="#ffffff" stroke="%s" stroke-width="2">%s</circle>`+"\n", x, y, recvColor, tip)
	case event.KindSignal, event.KindDeliver:
		fill := signalColor
		if e.Kind == event.KindDeliver {
			fill = "#ffffff"
		}
		fmt.Fprintf(b, `<path d="M%d,%d l5,9 l-10,0 z" fill="%s" stroke="%s" stroke-width="1.5">%s</path>`+"\n", x, y-5, fill, signalColor, tip)
	case event.KindWait, event.KindPost:
		fill := semColor
		if e.Kind == event.KindPost {
			fill = "#ffffff"
		}
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="8" height="8" fill="%s" stroke="%s" stroke-width="1.5">%s</rect>`+"\n", x-4, y-4, fill, semColor, tip)
	case event.KindExit, event.KindLost, event.KindError, event.KindDeadlock:
		fmt.Fprintf(b, `<path d="M%d,%d l8,8 m0,-8 l-8,8" stroke="%s" stroke-width="2">%s</path>`+"\n", x-4, y-4, blockColor, tip)
	case event.KindBlock, event.KindUnblock:
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2">%s</line>`+"\n", x, y-7, x, y+7, blockColor, tip)
	default:
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2">%s</line>`+"\n", x, y-6, x, y+6, inkColor, tip)
	}
}

// drawMoments flags each moment with its number over the lanes.
func (p *svgPlan) drawMoments(b *bufio.Writer, bottom int) {
	for i, m := range p.moments {
		c, ok := p.momentCol(m)
		if !ok {
			continue
		}
		x := p.x(c)
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1.5" stroke-dasharray="4 3"/>`+"\n",
			x, topH-16, x, bottom, momentColor)
		fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="9" fill="%s"><title>%s</title></circle>`+"\n", x, topH-24, momentColor, esc(m.Name+": "+m.Text))
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="11" font-weight="bold" fill="#ffffff" text-anchor="middle">%d</text>`+"\n", x, topH-20, i+1)
	}
}

// legend lists the moments with their sentences, wrapped, and says what
// was left out.
func (p *svgPlan) legend() []string {
	var lines []string
	for i, m := range p.moments {
		lines = append(lines, wrap(fmt.Sprintf("%d. %s (seq %d): %s", i+1, strings.ReplaceAll(m.Name, "_", " "), m.Seq, m.Text), wrapChars)...)
	}
	if p.left > 0 {
		lines = append(lines, fmt.Sprintf("%d more events are not drawn; the trace export has them all.", p.left))
	}
	return lines
}

// describe names an event for a tooltip.
func describe(e *event.Event) string {
	parts := []string{fmt.Sprintf("seq %d", e.Seq), e.Kind}
	for _, s := range []string{e.Proc, e.Call, e.Obj} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if e.Msg != 0 {
		parts = append(parts, fmt.Sprintf("msg %d", e.Msg))
	}
	if e.Bytes != 0 {
		parts = append(parts, fmt.Sprintf("%d bytes", e.Bytes))
	}
	if e.Value != nil {
		parts = append(parts, fmt.Sprintf("value %d", *e.Value))
	}
	if e.Text != "" {
		parts = append(parts, e.Text)
	}
	return strings.Join(parts, " · ")
}

// wrap breaks s into lines of at most n characters, at spaces.
func wrap(s string, n int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > n {
			lines = append(lines, line)
			line = "   " + word
			continue
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// esc escapes s for XML text and attributes.
func esc(s string) string {
	var sb strings.Builder
	_ = xml.EscapeText(&sb, []byte(s))
	return sb.String()
}
