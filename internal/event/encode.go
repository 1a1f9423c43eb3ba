package event

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends e as one JSON object to dst, with the same fields and
// omissions as encoding/json gives the struct tags, but without reflection:
// the server encodes every event once, on its way into the log, and this is
// that encoding. Attrs, the only field whose shape is open, goes through
// encoding/json; most events carry none.
func AppendJSON(dst []byte, e *Event) []byte {
	dst = append(dst, '{')
	if e.Seq != 0 {
		dst = append(dst, `"seq":`...)
		dst = strconv.AppendUint(dst, e.Seq, 10)
		dst = append(dst, ',')
	}
	dst = append(dst, `"t":`...)
	dst = strconv.AppendInt(dst, e.T, 10)
	dst = appendStr(dst, "kind", e.Kind, false)
	dst = appendStr(dst, "name", e.Name, true)
	dst = appendStr(dst, "proc", e.Proc, true)
	dst = appendInt(dst, "pid", int64(e.PID))
	dst = appendStr(dst, "obj", e.Obj, true)
	dst = appendStr(dst, "obj_kind", e.ObjKind, true)
	dst = appendInt(dst, "bytes", int64(e.Bytes))
	dst = appendInt(dst, "msg", e.Msg)
	dst = appendStr(dst, "call", e.Call, true)
	dst = appendStr(dst, "peer", e.Peer, true)
	dst = appendInt(dst, "prio", int64(e.Prio))
	dst = appendInt(dst, "type", e.Type)
	dst = appendPtr(dst, "fill", e.Fill)
	dst = appendInt(dst, "cap", e.Cap)
	dst = appendPtr(dst, "value", e.Value)
	dst = appendPtr(dst, "waiters", e.Waiters)
	dst = appendPtr(dst, "offset", e.Offset)
	dst = appendStr(dst, "data", e.Data, true)
	if e.Code != nil {
		dst = append(dst, `,"code":`...)
		dst = strconv.AppendInt(dst, int64(*e.Code), 10)
	}
	dst = appendStr(dst, "sig", e.Sig, true)
	dst = appendStr(dst, "error", e.Error, true)
	dst = appendStr(dst, "errno", e.Errno, true)
	dst = appendStr(dst, "text", e.Text, true)
	dst = appendStr(dst, "state", e.State, true)
	if len(e.Result) > 0 {
		dst = append(dst, `,"result":`...)
		dst = appendRaw(dst, e.Result)
	}
	if len(e.Cycle) > 0 {
		dst = append(dst, `,"cycle":[`...)
		for i, c := range e.Cycle {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"proc":`...)
			dst = appendQuoted(dst, c.Proc)
			dst = append(dst, `,"obj":`...)
			dst = appendQuoted(dst, c.Obj)
			dst = append(dst, `,"holder":`...)
			dst = appendQuoted(dst, c.Holder)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if len(e.Attrs) > 0 {
		dst = append(dst, `,"attrs":`...)
		dst = appendRaw(dst, attrsJSON(e.Attrs))
	}
	return append(dst, '}')
}

// attrsJSON encodes attrs; a value encoding/json cannot take (a channel, a
// NaN) would be a bug in the code that made the event, and is said as a
// string rather than lose the whole event.
func attrsJSON(attrs map[string]any) []byte {
	b, err := json.Marshal(attrs)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": "attrs could not be encoded: " + err.Error()})
	}
	return b
}

// appendRaw appends JSON that is already encoded, or null if it is not
// valid JSON, so one bad result can never make the log unreadable.
func appendRaw(dst, raw []byte) []byte {
	if !json.Valid(raw) {
		return append(dst, "null"...)
	}
	return append(dst, raw...)
}

func appendStr(dst []byte, key, v string, omitEmpty bool) []byte {
	if omitEmpty && v == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return appendQuoted(dst, v)
}

func appendInt(dst []byte, key string, v int64) []byte {
	if v == 0 {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return strconv.AppendInt(dst, v, 10)
}

func appendPtr(dst []byte, key string, v *int64) []byte {
	if v == nil {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return strconv.AppendInt(dst, *v, 10)
}

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string. Bytes that are not UTF-8 become
// U+FFFD, as encoding/json makes them; so do the line separators it
// escapes, for the same reason (JavaScript sources cannot hold them raw).
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
