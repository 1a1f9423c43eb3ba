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
    const cur = el.getAttribute(k);
    if (v === null || v === undefined || v === false) {
      if (cur !== null) el.removeAttribute(k);
    } else if (cur !== String(v)) {
      el.setAttribute(k, v);
    }
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);

// num formats a count with thousands separators.
export function num(n) {
  return n === undefined || n === null ? '?' : Number(n).toLocaleString('en-US');
}

// ms formats nanoseconds as milliseconds.
export function ms(ns) {
  const v = ns / 1e6;
  return v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US');
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
