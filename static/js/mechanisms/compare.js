// The compare view (its styles are in app.css): what a message costs over
// each mechanism, measured by real processes. Each finished cell of the
// compare scenarios (a "measure" event) adds a bar; a mode and a size pick
// which cells the chart shows, a sentence says what it shows, a table gives
// the same numbers, and a line says how they were measured. No message travels on this stage: the
// processes report each cell once it is done, never each message.

import { h, s, set, num, bytes } from '../dom.js';
import { COMPACT } from '../procs.js';

const MODES = { rtt: 'round trip', stream: 'one way (stream)' };

export default {
  // The chart and its sentence must fit. On a stage at least twice as
  // wide as tall (a projector, a wide screen) the method line and the
  // table stand beside the chart (app.css, .cmp); on a narrower one they
  // come below it, and scroll.
  minH: 440,

  // The one process that measures stands in the top right corner, beside
  // the chart's heading.
  layout(procs, model, { W }) {
    const pos = new Map();
    procs.forEach((p, i) => pos.set(p.name, { x: W - COMPACT.w / 2 - 6, y: COMPACT.h / 2 + 6 + i * (COMPACT.h + 8), size: COMPACT, side: 'right' }));
    return pos;
  },

  init(layers, ctx) {
    const fo = s('foreignObject', { x: 0, y: 0, width: ctx.W, height: ctx.H, class: 'mech-compare' });
    const st = { fo, mode: '', size: 0, picked: false, drawn: '' };
    st.modeSel = h('select', { class: 'cmp-mode', 'aria-label': 'mode', onchange: () => { st.mode = st.modeSel.value; st.picked = true; st.drawn = ''; } });
    st.sizeSel = h('select', { class: 'cmp-size', 'aria-label': 'message size', onchange: () => { st.size = Number(st.sizeSel.value); st.picked = true; st.drawn = ''; } });
    st.says = h('p', { class: 'cmp-says', 'aria-live': 'polite' });
    st.now = h('p', { class: 'cmp-now' });
    st.bars = h('div', { class: 'cmp-chart', role: 'img' });
    st.method = h('p', { class: 'cmp-method' });
    st.table = h('table', { class: 'cmp-table' });
    const head = h('div', { class: 'cmp-head' },
      h('label', {}, 'mode ', st.modeSel), ' ', h('label', {}, 'size ', st.sizeSel), st.says, st.now);
    fo.append(h('div', { class: 'cmp-box' }, h('div', { class: 'cmp' }, head, st.bars, h('div', { class: 'cmp-side' }, st.method, st.table))));
    layers.objs.append(fo);
    return st;
  },

  draw(st, model, ctx) {
    set(st.fo, { width: ctx.W, height: ctx.H });
    const ms = model.measures || [];
    const key = `${ms.length}|${JSON.stringify(model.progress)}|${st.mode}|${st.size}|${model.ended}`;
    if (key === st.drawn) return;
    st.drawn = key;
    pickDefaults(st, ms, model.progress);
    options(st.modeSel, modesOf(ms, model.progress).map((m) => [m, MODES[m] || m]), st.mode);
    options(st.sizeSel, sizesOf(ms, model.progress).map((n) => [String(n), bytes(n)]), String(st.size));
    // Cells measured first: on a short stage the bars stay in view, and
    // the cells a mechanism cannot run follow.
    const got = rowsFor(ms, st.mode, st.size);
    const rows = [...got.filter((a) => !a.skipped), ...got.filter((a) => a.skipped)];
    set(st.says, { text: sentenceFor(rows, st.mode, st.size) || (ms.length ? '' : 'No cell is measured yet: the first bar appears when its cell is done.') });
    set(st.now, { text: progressLine(model.progress, model.ended) });
    drawBars(st.bars, rows, st.mode);
    set(st.method, { text: methodLine(ms) });
    drawTable(st.table, rows, st.mode);
  },

  travel: () => null,
};

// pickDefaults follows the cell being measured until the viewer picks a
// mode or size: the chart fills in where the work is.
function pickDefaults(st, ms, progress) {
  if (st.picked && st.mode && st.size) return;
  const last = progress || [...ms].reverse().find((a) => !a.skipped) || ms[ms.length - 1];
  if (!last) return;
  st.mode = last.mode;
  st.size = last.size;
}

const uniq = (xs) => [...new Set(xs)];

export const modesOf = (ms, progress) => uniq([...ms, progress].filter(Boolean).map((a) => a.mode));

export const sizesOf = (ms, progress) => uniq([...ms, progress].filter(Boolean).map((a) => a.size)).sort((a, b) => a - b);

function options(sel, list, value) {
  const want = list.map(([v, t]) => `${v}:${t}`).join('|');
  if (sel.dataset.list !== want) {
    sel.replaceChildren(...list.map(([v, t]) => h('option', { value: v }, t)));
    sel.dataset.list = want;
  }
  if (sel.value !== value) sel.value = value;
}

// rowsFor picks the cells of one mode and size, one per mechanism, in the
// order they were reported.
export function rowsFor(ms, mode, size) {
  return ms.filter((a) => a.mode === mode && a.size === size);
}

// metric is what a bar shows: the median round trip (shorter is better)
// or the bytes moved per second one way (more is better).
export function metric(a, mode) {
  if (a.skipped) return null;
  return mode === 'rtt' ? a.rtt_p50_ns : a.mb_per_s;
}

// scaleFor maps the values to bar lengths from 0 to 1: linear, unless the
// largest is over 20 times the smallest, when short bars would vanish;
// then logarithmic, from a tenth of the smallest.
export function scaleFor(values) {
  const vs = values.filter((v) => v > 0);
  if (!vs.length) return { log: false, len: () => 0 };
  const hi = Math.max(...vs);
  const lo = Math.min(...vs);
  if (hi / lo <= 20) return { log: false, len: (v) => (v > 0 ? v / hi : 0) };
  const base = Math.log10(lo / 10);
  const span = Math.log10(hi) - base;
  return { log: true, len: (v) => (v > 0 ? (Math.log10(v) - base) / span : 0) };
}

// fmtValue writes a bar's value: a time or a rate.
export function fmtValue(v, mode) {
  if (v === null || v === undefined) return '';
  if (mode === 'rtt') return v >= 1e6 ? `${(v / 1e6).toFixed(2)} ms` : `${(v / 1e3).toFixed(v < 1e4 ? 1 : 0)} µs`;
  return v >= 1000 ? `${(v / 1000).toFixed(2)} GB/s` : `${v.toFixed(v < 10 ? 2 : 0)} MB/s`;
}

// sentenceFor says in words what the chart shows: the best and the worst,
// and how far apart they are.
export function sentenceFor(rows, mode, size) {
  const done = rows.filter((a) => metric(a, mode) > 0);
  if (!done.length) return '';
  const by = [...done].sort((a, b) => metric(a, mode) - metric(b, mode));
  const what = mode === 'rtt' ? `Round trips of ${bytes(size)}` : `Messages of ${bytes(size)} one way`;
  if (done.length === 1) return `${what}: ${done[0].title}, ${fmtValue(metric(done[0], mode), mode)}; the others follow as their cells finish.`;
  const [best, worst] = mode === 'rtt' ? [by[0], by[by.length - 1]] : [by[by.length - 1], by[0]];
  const x = (metric(worst, mode) / metric(best, mode));
  const ratio = mode === 'rtt' ? x : 1 / x;
  return mode === 'rtt'
    ? `${what}: ${best.title} is quickest at ${fmtValue(metric(best, mode), mode)}; ${worst.title} takes ${ratio.toFixed(1)}× as long (${fmtValue(metric(worst, mode), mode)}). Shorter bars are better.`
    : `${what}: ${best.title} moves the most, ${fmtValue(metric(best, mode), mode)}; ${worst.title} moves ${ratio.toFixed(1)}× less (${fmtValue(metric(worst, mode), mode)}). Longer bars are better.`;
}

// progressLine says which cell is being measured, or that all are done.
export function progressLine(p, ended) {
  if (p) return `Measuring ${p.mechanism}, ${MODES[p.mode] || p.mode} of ${bytes(p.size)}: ${p.done} of ${p.total} cells done.`;
  return ended ? 'Every cell is done.' : '';
}

// methodLine says how the figures were measured, from the cells' own
// attributes.
export function methodLine(ms) {
  const a = ms.find((x) => !x.skipped);
  if (!a) return '';
  const pin = a.cpu >= 0 ? `both processes pinned to CPU ${a.cpu}` : 'the processes left where the scheduler put them';
  return `Measured by two real processes per cell (${pin}): ${num(a.warmup)} untimed messages first, then ${a.reps} timed ` +
    `repetitions of ${num(a.count)} messages; each figure is the median of the repetitions. Context switches are the ` +
    'kernel\'s count for both processes (getrusage); copies are those the kernel makes.';
}

function drawBars(root, rows, mode) {
  const sc = scaleFor(rows.map((a) => metric(a, mode)));
  set(root, { 'aria-label': `${rows.length} bars${sc.log ? ', log scale' : ''}`, 'data-log': sc.log ? 'true' : null });
  root.replaceChildren(...rows.map((a) => {
    const v = metric(a, mode);
    // Lengths go through the CSSOM: the page's Content-Security-Policy
    // allows no style attributes.
    const bar = h('span', { class: 'cmp-bar', 'data-mech': a.mechanism, 'data-value': v ?? '' });
    bar.style.width = `${(100 * sc.len(v)).toFixed(1)}%`;
    // The 99th percentile as a tick on the track, where it fits on the
    // scale; the table has every one.
    let tick = null;
    if (a.mode === 'rtt' && a.rtt_p99_ns && v && sc.len(a.rtt_p99_ns) <= 1) {
      tick = h('span', { class: 'cmp-p99', title: `99th percentile ${fmtValue(a.rtt_p99_ns, 'rtt')}` });
      tick.style.left = `${(100 * sc.len(a.rtt_p99_ns)).toFixed(1)}%`;
    }
    return h('div', { class: `cmp-row${a.skipped ? ' skipped' : ''}` },
      h('span', { class: 'cmp-name' }, a.title || a.mechanism),
      h('span', { class: 'cmp-track' }, a.skipped ? h('span', { class: 'cmp-why' }, `not run: ${a.skipped}`) : [bar, tick]),
      h('span', { class: 'cmp-val' }, a.skipped ? '' : fmtValue(v, mode)));
  }));
  if (sc.log) root.append(h('p', { class: 'cmp-scale' }, 'Log scale: the values differ by more than 20 times.'));
}

function drawTable(table, rows, mode) {
  const rtt = mode === 'rtt';
  const head = ['mechanism', rtt ? 'round trips/s' : 'messages/s', 'MB/s', ...(rtt ? ['round trip median', '99th percentile'] : []),
    'context switches / message', 'copies'];
  table.replaceChildren(
    h('caption', {}, `The same numbers: ${MODES[mode] || mode}`),
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((a) => h('tr', {},
      h('th', { scope: 'row' }, a.title || a.mechanism),
      ...(a.skipped ? [h('td', { colspan: head.length - 1 }, `not run: ${a.skipped}`)] : [
        h('td', {}, num(Math.round(a.msgs_per_s))),
        h('td', {}, num(a.mb_per_s)),
        ...(rtt ? [h('td', {}, fmtValue(a.rtt_p50_ns, 'rtt')), h('td', {}, fmtValue(a.rtt_p99_ns, 'rtt'))] : []),
        h('td', {}, num(a.ctxsw_per_msg)),
        h('td', { title: a.copies_why }, `${a.copies}: ${a.copies_why}`),
      ])))));
}
