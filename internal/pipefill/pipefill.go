// Package pipefill models how the Linux kernel fills a pipe, so that the
// page can draw a pipe's fill the way the kernel counts it. A pipe is a
// ring of page-sized slots (16 by default; F_SETPIPE_SZ sets how many). A
// write first tries to add to the last page in use, but only after the data
// already there ends, and only if what it adds fits there whole; otherwise
// it takes fresh slots, a page at a time. A read takes bytes from the oldest
// page and frees its slot only once the page is empty. So a writer can be
// made to wait while most of the pipe's bytes are free: every slot holds
// some unread bytes, and the last page has no room after its data. This
// follows pipe_write and pipe_read in the kernel's fs/pipe.c.
package pipefill

import (
	"fmt"
	"strconv"
)

// Pipe is the kernel's view of one pipe. Its zero value is not usable;
// make one with New.
type Pipe struct {
	page  int
	slots int
	bufs  []Page // slots in use, oldest first
}

// Page is one slot in use: its page holds unread bytes from Offset to
// Offset+Len; the bytes before Offset were read already.
type Page struct {
	Offset int
	Len    int
}

// New returns an empty pipe of capacity bytes (what F_GETPIPE_SZ reports,
// a whole number of pages) on a machine with pages of page bytes.
func New(capacity, page int) *Pipe {
	return &Pipe{page: page, slots: max(1, capacity/page)}
}

// Write puts up to n bytes in as a write that must not wait (O_NONBLOCK)
// would, and returns how many went in: 0 means the call fails with EAGAIN.
// A write of at most a page goes in whole or not at all; a longer one may
// go in part. A blocking writer goes on with the rest once reads free slots.
func (p *Pipe) Write(n int) int {
	if n <= 0 {
		return 0
	}
	written := 0
	// The part past whole pages joins the last page, if it fits after
	// the data there.
	if part := n % p.page; part > 0 && len(p.bufs) > 0 {
		last := &p.bufs[len(p.bufs)-1]
		if last.Offset+last.Len+part <= p.page {
			last.Len += part
			written = part
		}
	}
	for written < n && len(p.bufs) < p.slots {
		c := min(p.page, n-written)
		p.bufs = append(p.bufs, Page{Len: c})
		written += c
	}
	return written
}

// Read takes up to n bytes, oldest first, and returns how many it took. A
// slot is freed when its page has been read to the end.
func (p *Pipe) Read(n int) int {
	got := 0
	for got < n && len(p.bufs) > 0 {
		b := &p.bufs[0]
		c := min(b.Len, n-got)
		b.Offset += c
		b.Len -= c
		got += c
		if b.Len == 0 {
			p.bufs = p.bufs[1:]
		}
	}
	return got
}

// Unread is the number of bytes waiting (what FIONREAD reports).
func (p *Pipe) Unread() int {
	n := 0
	for _, b := range p.bufs {
		n += b.Len
	}
	return n
}

// Slots returns the slots in use and the slots the pipe has.
func (p *Pipe) Slots() (used, total int) { return len(p.bufs), p.slots }

// Pages returns the slots in use, oldest first.
func (p *Pipe) Pages() []Page { return append([]Page(nil), p.bufs...) }

// Fits reports whether a write of n bytes, at most a page, would go in
// without waiting.
func (p *Pipe) Fits(n int) bool {
	if len(p.bufs) < p.slots {
		return true
	}
	part := n % p.page
	last := p.bufs[len(p.bufs)-1]
	return part > 0 && last.Offset+last.Len+part <= p.page
}

// Why says, in a sentence for the student, why a write of n bytes (at most
// a page) must wait; it returns "" when the write would go in.
func (p *Pipe) Why(n int) string {
	if p.Fits(n) {
		return ""
	}
	last := p.bufs[len(p.bufs)-1]
	room := p.page - last.Offset - last.Len
	free := p.slots*p.page - p.Unread()
	var lastPage string
	switch {
	case n%p.page == 0:
		lastPage = "a write of a whole page needs a free slot of its own"
	case room == 0:
		lastPage = "the last page is written to its end"
	default:
		lastPage = fmt.Sprintf("the last page has room for %s more bytes after its data, not %s", num(room), num(n))
	}
	slots := fmt.Sprintf("all %d of the pipe's page slots are in use", p.slots)
	if p.slots == 1 {
		slots = "the pipe's one page slot is in use"
	}
	return fmt.Sprintf("The writer waits though %s of the pipe's %s bytes are free: %s, %s, and the kernel "+
		"frees a slot only when the reader has emptied its whole page.", num(free), num(p.slots*p.page), slots, lastPage)
}

// num writes n with thousands separators, as the page does: 4,096.
func num(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
