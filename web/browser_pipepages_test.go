package web

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pipeFacts is what the stage shows of a pipe: the kernel's byte count,
// the replayed slots, and the words of the tag and the explanation.
type pipeFacts struct {
	Fill   int    `json:"fill"`
	Unread int    `json:"unread"`
	Held   int    `json:"held"` // bytes read whose page is not freed
	Used   int    `json:"used"`
	Tag    string `json:"tag"`
	Why    string `json:"why"`
	Level  string `json:"level"`
	Slots  string `json:"slots"`
	Read   []int  `json:"read"` // width of each slot's part already read
}

const pipeFactsJS = `(() => {
	const t = document.querySelector('#stage .tube');
	if (!t || !t.hasAttribute('data-unread')) return null;
	const slots = [...t.querySelectorAll('.tube-slot')].filter((g) => g.getAttribute('visibility') !== 'hidden');
	return {
		fill: +t.dataset.fill, unread: +t.dataset.unread, held: +t.dataset.held, used: +t.dataset.slotsUsed,
		tag: t.dataset.full ? t.querySelector('.full-tag text').textContent : '',
		why: t.querySelector('.tube-why').textContent,
		level: t.querySelector('.obj-level').textContent,
		slots: t.querySelector('.slot-count').textContent,
		read: slots.map((g) => Math.round(+g.querySelector('.slot-read').getAttribute('width'))),
	};
})()`

// TestBrowserPipePages runs a one-page pipe (4,096 bytes) with writes of
// 512 and a slow reader. The writer fills the page and waits; the reader
// then takes 512 bytes at a time, but the kernel frees the slot only when
// the whole page is read, so the writer stays blocked with the pipe far
// from full in bytes. The stage must say so: no free page slot, the bytes
// read but not freed hatched in the slot, and the slots' unread bytes
// equal to the kernel's count.
func TestBrowserPipePages(t *testing.T) {
	ts := newTestServer(t)
	ctx := newBrowser(t, 120*time.Second)
	params := map[string]string{"messages": "24", "size": "512", "capacity": "4096", "reader_delay_ms": "250"}
	startFromPage(t, ctx, ts.URL, "normal", "pipe", params, "")
	waitFor(t, ctx, "the writer blocked at a partly read page",
		`(() => { const w = document.querySelector('#stage .tube .tube-why'); return w && w.textContent.includes('read but not freed'); })()`, 30*time.Second)
	f := eval[*pipeFacts](t, ctx, pipeFactsJS)
	screenshot(t, ctx, "pipe-blocked-partly-read-page.png")
	if f == nil {
		t.Fatal("the pipe's slots are not drawn")
	}
	t.Logf("%+v", *f)
	if f.Tag != "NO FREE SLOT: the writer must wait" {
		t.Errorf("the tag reads %q", f.Tag)
	}
	if f.Fill >= 4096 || f.Fill != f.Unread {
		t.Errorf("the kernel counts %d bytes, the slots %d unread: want the same, less than the 4,096 of a full page", f.Fill, f.Unread)
	}
	if f.Used != 1 || f.Slots != "its one page slot in use" || len(f.Read) != 1 || f.Read[0] == 0 {
		t.Errorf("slots: %d used, %q, read parts %v; want one slot, partly read", f.Used, f.Slots, f.Read)
	}
	if want := fmt.Sprintf("%s bytes read but not freed: a slot is freed only when its whole page is read", commas(f.Held)); f.Held%512 != 0 || f.Held == 0 || f.Why != want {
		t.Errorf("the explanation reads %q, want %q", f.Why, want)
	}
	if f.Read[0] == 0 || f.Held+f.Unread > 4096 {
		t.Errorf("%d bytes read and %d unread in one page of 4,096", f.Held, f.Unread)
	}
	if !strings.Contains(f.Level, "of 4 KiB") {
		t.Errorf("the level reads %q", f.Level)
	}
	if state := waitEnd(t, ctx, 60*time.Second); state != "finished" {
		t.Fatalf("the session %s", state)
	}
}

// commas writes n as the page does: 1,536.
func commas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
