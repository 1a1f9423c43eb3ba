package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/ipc-playground/ipc-playground/internal/event"
)

// MaxRecord is the largest record a worker may write: under PIPE_BUF, so
// that the writes of several processes to one pipe never interleave.
const MaxRecord = 4096

// ErrTooLarge is returned for a record that would not fit in one atomic
// pipe write.
var ErrTooLarge = errors.New("event record over PIPE_BUF")

// A record is one line: the version byte, then each field that is set as
// one tag byte, its value and a tab, then a newline:
//
//	1 t1234567 \t kwrite \t pparent \t i4242 \t b64 \t ...\n
//
// (without the spaces). Numbers are decimal; strings are raw bytes with
// tab, newline and the escape byte itself escaped (escape, then '0', 't'
// or 'n'); the few structured fields (result, cycle, attrs) are compact
// JSON inside the same escaping. Encoding and decoding the common fields
// use no reflection.
const (
	recordVersion = '1'
	fieldEnd      = '\t'
	escape        = 0x1b
)

// Field tags.
const (
	tagSeq     = 's'
	tagT       = 't'
	tagKind    = 'k'
	tagProc    = 'p'
	tagPID     = 'i'
	tagObj     = 'o'
	tagBytes   = 'b'
	tagMsg     = 'm'
	tagCall    = 'c'
	tagPeer    = 'r'
	tagPrio    = 'P'
	tagType    = 'y'
	tagFill    = 'f'
	tagCap     = 'C'
	tagValue   = 'v'
	tagWaiters = 'w'
	tagOffset  = 'O'
	tagData    = 'd'
	tagCode    = 'x'
	tagSig     = 'g'
	tagError   = 'e'
	tagErrno   = 'n'
	tagText    = 'X'
	tagState   = 'S'
	tagResult  = 'R'
	tagCycle   = 'Y'
	tagAttrs   = 'A'
)

// AppendRecord appends e as one newline-terminated record to b. A record
// longer than MaxRecord is refused with ErrTooLarge, and b comes back as
// it was.
func AppendRecord(b []byte, e *event.Event) ([]byte, error) {
	start := len(b)
	b = append(b, recordVersion)
	b = appendInt(b, tagSeq, int64(e.Seq), e.Seq != 0)
	b = appendInt(b, tagT, e.T, true)
	b = appendStr(b, tagKind, e.Kind)
	b = appendStr(b, tagProc, e.Proc)
	b = appendInt(b, tagPID, int64(e.PID), e.PID != 0)
	b = appendStr(b, tagObj, e.Obj)
	b = appendInt(b, tagBytes, int64(e.Bytes), e.Bytes != 0)
	b = appendInt(b, tagMsg, e.Msg, e.Msg != 0)
	b = appendStr(b, tagCall, e.Call)
	b = appendStr(b, tagPeer, e.Peer)
	b = appendInt(b, tagPrio, int64(e.Prio), e.Prio != 0)
	b = appendInt(b, tagType, e.Type, e.Type != 0)
	b = appendPtr(b, tagFill, e.Fill)
	b = appendInt(b, tagCap, e.Cap, e.Cap != 0)
	b = appendPtr(b, tagValue, e.Value)
	b = appendPtr(b, tagWaiters, e.Waiters)
	b = appendPtr(b, tagOffset, e.Offset)
	b = appendStr(b, tagData, e.Data)
	if e.Code != nil {
		b = appendInt(b, tagCode, int64(*e.Code), true)
	}
	b = appendStr(b, tagSig, e.Sig)
	b = appendStr(b, tagError, e.Error)
	b = appendStr(b, tagErrno, e.Errno)
	b = appendStr(b, tagText, e.Text)
	b = appendStr(b, tagState, e.State)
	if len(e.Result) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, e.Result); err != nil {
			return b[:start], fmt.Errorf("%s event: result: %w", e.Kind, err)
		}
		b = appendStr(b, tagResult, buf.String())
	}
	if len(e.Cycle) > 0 {
		j, err := json.Marshal(e.Cycle)
		if err != nil {
			return b[:start], fmt.Errorf("%s event: cycle: %w", e.Kind, err)
		}
		b = appendStr(b, tagCycle, string(j))
	}
	if len(e.Attrs) > 0 {
		j, err := json.Marshal(e.Attrs)
		if err != nil {
			return b[:start], fmt.Errorf("%s event: attrs: %w", e.Kind, err)
		}
		b = appendStr(b, tagAttrs, string(j))
	}
	b = append(b, '\n')
	if n := len(b) - start; n > MaxRecord {
		return b[:start], fmt.Errorf("%s event of %d bytes: %w", e.Kind, n, ErrTooLarge)
	}
	return b, nil
}

func appendInt(b []byte, tag byte, v int64, set bool) []byte {
	if !set {
		return b
	}
	b = append(b, tag)
	b = strconv.AppendInt(b, v, 10)
	return append(b, fieldEnd)
}

func appendPtr(b []byte, tag byte, v *int64) []byte {
	if v == nil {
		return b
	}
	return appendInt(b, tag, *v, true)
}

func appendStr(b []byte, tag byte, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, tag)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case escape:
			b = append(b, escape, '0')
		case '\t':
			b = append(b, escape, 't')
		case '\n':
			b = append(b, escape, 'n')
		default:
			b = append(b, c)
		}
	}
	return append(b, fieldEnd)
}

// DecodeRecord reads one record, with or without its newline, into e.
func DecodeRecord(line []byte, e *event.Event) error {
	var d Decoder
	return d.Decode(line, e)
}

// Decoder decodes records. It keeps the short strings it has seen (the
// names of processes and objects, which every record repeats) so as not to
// allocate them again. The zero value is ready; a Decoder is for one
// goroutine.
type Decoder struct {
	names map[string]string
	last  [128]string // per field tag, the name it had last: most often the next record's too
	ints  []int64     // room for the optional numbers events point to
}

// maxNames bounds a Decoder's memory of names.
const maxNames = 512

// Decode reads one record, with or without its newline, into e.
func (d *Decoder) Decode(line []byte, e *event.Event) error {
	*e = event.Event{}
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if len(line) == 0 || line[0] != recordVersion {
		return errors.New("event record: not a record of this version")
	}
	rest := line[1:]
	for len(rest) > 0 {
		tag := rest[0]
		end := bytes.IndexByte(rest, fieldEnd)
		if end < 0 {
			return fmt.Errorf("event record: field %q has no end", tag)
		}
		if end == 0 {
			return errors.New("event record: a field with no tag")
		}
		val := rest[1:end]
		rest = rest[end+1:]
		if err := d.field(e, tag, val); err != nil {
			return fmt.Errorf("event record: field %q: %w", tag, err)
		}
	}
	if e.Kind == "" {
		return errors.New("event record: no kind")
	}
	return nil
}

func (d *Decoder) field(e *event.Event, tag byte, val []byte) error {
	switch tag {
	case tagSeq:
		v, err := parseInt(val)
		if v < 0 {
			return errors.New("negative seq")
		}
		e.Seq = uint64(v)
		return err
	case tagT:
		return setInt(&e.T, val)
	case tagKind:
		return d.setName(&e.Kind, tag, val)
	case tagProc:
		return d.setName(&e.Proc, tag, val)
	case tagPID:
		return setIntAs(&e.PID, val)
	case tagObj:
		return d.setName(&e.Obj, tag, val)
	case tagBytes:
		return setIntAs(&e.Bytes, val)
	case tagMsg:
		return setInt(&e.Msg, val)
	case tagCall:
		return d.setName(&e.Call, tag, val)
	case tagPeer:
		return d.setName(&e.Peer, tag, val)
	case tagPrio:
		return setIntAs(&e.Prio, val)
	case tagType:
		return setInt(&e.Type, val)
	case tagFill:
		return d.setPtr(&e.Fill, val)
	case tagCap:
		return setInt(&e.Cap, val)
	case tagValue:
		return d.setPtr(&e.Value, val)
	case tagWaiters:
		return d.setPtr(&e.Waiters, val)
	case tagOffset:
		return d.setPtr(&e.Offset, val)
	case tagData:
		return setStr(&e.Data, val)
	case tagCode:
		var c int
		if err := setIntAs(&c, val); err != nil {
			return err
		}
		e.Code = &c
		return nil
	case tagSig:
		return d.setName(&e.Sig, tag, val)
	case tagError:
		return setStr(&e.Error, val)
	case tagErrno:
		return d.setName(&e.Errno, tag, val)
	case tagText:
		return setStr(&e.Text, val)
	case tagState:
		return d.setName(&e.State, tag, val)
	case tagResult:
		b, err := unescape(val)
		if err != nil {
			return err
		}
		if !json.Valid(b) {
			return errors.New("result is not JSON")
		}
		e.Result = json.RawMessage(bytes.Clone(b))
		return nil
	case tagCycle:
		b, err := unescape(val)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, &e.Cycle)
	case tagAttrs:
		b, err := unescape(val)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, &e.Attrs)
	}
	return errors.New("unknown field")
}

// setName sets a short string that records repeat, from the Decoder's
// memory when it can.
func (d *Decoder) setName(dst *string, tag byte, val []byte) error {
	last := &d.last[tag&0x7f]
	if *last == string(val) {
		*dst = *last
		return nil
	}
	if bytes.IndexByte(val, escape) >= 0 || len(val) > 64 {
		return setStr(dst, val)
	}
	s, ok := d.names[string(val)]
	if !ok {
		s = string(val)
		if d.names == nil {
			d.names = make(map[string]string)
		}
		if len(d.names) < maxNames {
			d.names[s] = s
		}
	}
	*dst, *last = s, s
	return nil
}

func setStr(dst *string, val []byte) error {
	if bytes.IndexByte(val, escape) < 0 {
		*dst = string(val)
		return nil
	}
	b, err := unescape(val)
	*dst = string(b)
	return err
}

// unescape undoes appendStr's escapes; val itself when there are none.
func unescape(val []byte) ([]byte, error) {
	i := bytes.IndexByte(val, escape)
	if i < 0 {
		return val, nil
	}
	out := make([]byte, 0, len(val))
	for ; i >= 0; i = bytes.IndexByte(val, escape) {
		out = append(out, val[:i]...)
		if i+1 >= len(val) {
			return nil, errors.New("escape at the end")
		}
		switch val[i+1] {
		case '0':
			out = append(out, escape)
		case 't':
			out = append(out, '\t')
		case 'n':
			out = append(out, '\n')
		default:
			return nil, fmt.Errorf("unknown escape %q", val[i+1])
		}
		val = val[i+2:]
	}
	return append(out, val...), nil
}

func setInt(dst *int64, val []byte) error {
	v, err := parseInt(val)
	*dst = v
	return err
}

func setIntAs(dst *int, val []byte) error {
	v, err := parseInt(val)
	if v < math.MinInt || v > math.MaxInt {
		return errors.New("number out of range")
	}
	*dst = int(v)
	return err
}

// setPtr sets an optional number. The numbers are taken from a block the
// Decoder allocates for many of them, not one allocation each: a pipe's
// every event carries its fill.
func (d *Decoder) setPtr(dst **int64, val []byte) error {
	v, err := parseInt(val)
	if err != nil {
		return err
	}
	if len(d.ints) == 0 {
		d.ints = make([]int64, 256)
	}
	p := &d.ints[0]
	d.ints = d.ints[1:]
	*p = v
	*dst = p
	return nil
}

// parseInt reads a decimal int64 without allocating.
func parseInt(b []byte) (int64, error) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, errors.New("not a number")
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errors.New("not a number")
		}
		u = u*10 + uint64(c-'0')
	}
	switch {
	case neg && u <= 1<<63:
		return -int64(u), nil
	case !neg && u < 1<<63:
		return int64(u), nil
	}
	return 0, errors.New("number out of range")
}
