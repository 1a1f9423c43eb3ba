// Small helpers for building HTML and SVG without a framework.

const SVG = 'http://www.w3.org/2000/svg';

// h makes an HTML element with attributes and children (strings or nodes).
export function h(tag, attrs = {}, ...kids) {
  return fill(document.createElement(tag), attrs, kids);
}

// s makes an SVG element the same way.
export function s(tag, attrs = {}, ...kids) {
  return fill(document.createElementNS(SVG, tag), attrs, kids);
}

function fill(el, attrs, kids) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = v;
    else if (k === 'style') setStyle(el, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : String(kid));
  }
  return el;
}

// set changes an element's attributes only where they differ, so a frame
// that redraws everything touches the DOM only for what changed.
export function set(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') {
      if (el.textContent !== String(v)) el.textContent = v;
      continue;
    }
    if (k === 'style') {
      setStyle(el, v);
      continue;
    }
    const cur = el.getAttribute(k);
    if (v === null || v === undefined || v === false) {
      if (cur !== null) el.removeAttribute(k);
    } else if (cur !== String(v)) {
      el.setAttribute(k, v);
    }
  }
}

// setStyle sets an element's inline style through the CSSOM: the page's
// Content-Security-Policy refuses style attributes written as markup, or
// with setAttribute, but not styles set this way. The last text set is
// kept, since the browser gives cssText back in its own spelling.
const styleSet = new WeakMap();
function setStyle(el, css) {
  const text = css === null || css === undefined || css === false ? '' : String(css);
  if ((styleSet.get(el) ?? '') === text) return;
  styleSet.set(el, text);
  el.style.cssText = text;
}

export const $ = (sel, root = document) => root.querySelector(sel);

// One number format for the whole page: making one is slow, using it is
// fast.
const thousands = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

// num formats a count with thousands separators.
export function num(n) {
  return n === undefined || n === null ? '?' : thousands.format(Number(n));
}

// ms formats nanoseconds as milliseconds.
export function ms(ns) {
  const v = ns / 1e6;
  return v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : thousands.format(Math.round(v));
}

// bytes names a size the way people say it.
export function bytes(n) {
  if (n === undefined || n === null) return '?';
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n >> 20} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n >> 10} KiB`;
  return `${num(n)} B`;
}

// reducedMotion reports the reader's wish for less movement.
export const reducedMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

// fitText fits a line of text into room (in the units of font): at its
// size if it fits, else shrunk down to 80%, else cut short with an
// ellipsis. It measures on a canvas, which never makes the browser lay out
// the page, and remembers each answer.
const fits = new Map();
let pen = null;
export function fitText(text, font, room, size = 0) {
  const key = `${font}|${room}|${text}`;
  let r = fits.get(key);
  if (r) return r;
  if (!pen) pen = document.createElement('canvas').getContext('2d');
  pen.font = font;
  const width = (t) => pen.measureText(t).width;
  let w = width(text);
  r = { text, size: size || null, width: w };
  if (w > room) {
    const k = room / w;
    if (size && k >= 0.8) {
      r = { text, size: Math.floor(size * k * 10) / 10, width: room };
    } else {
      // The longest start of the text that fits with its ellipsis, found
      // by halving: a long label costs a dozen measurements, not one per
      // letter.
      const scale = size ? 0.8 : 1;
      let lo = 1;
      let hi = text.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (width(`${text.slice(0, mid)}…`) * scale <= room) lo = mid;
        else hi = mid - 1;
      }
      const t = `${text.slice(0, lo)}…`;
      r = { text: t, size: size ? size * 0.8 : null, width: width(t) * scale };
    }
  }
  if (fits.size > 4000) fits.clear();
  fits.set(key, r);
  return r;
}
