// The controls: the scenario picker and its parameter form, built from
// GET /api/scenarios, and the presenter's buttons (stop, pause, step,
// speed). The parameters live in a drawer that opens under its button, so
// a scenario with many of them never pushes the stage down; the button
// itself reads out the current values. Errors from the API are shown next
// to the field they blame, with the drawer opened on it.

import { $, h, bytes } from './dom.js';

// SPEEDS are the choices of the speed slider; 1× is in the middle.
export { SPEEDS } from './clock.js';

export class Controls {
  constructor({ onPick }) {
    this.form = $('#setup');
    this.picker = $('#scenario');
    this.params = $('#params');
    this.drawer = $('#params-drawer');
    this.sum = $('#params-sum');
    this.pace = $('#pace');
    this.list = [];
    this.picker.addEventListener('change', () => { this.build(); onPick(this.current()); });
    this.params.addEventListener('input', () => this.summarise());
    this.params.addEventListener('change', () => this.summarise());
    // The drawer closes on Escape and on a click anywhere else.
    document.addEventListener('click', (ev) => { if (this.drawer.open && !this.drawer.contains(ev.target)) this.drawer.open = false; });
    this.drawer.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && this.drawer.open) { this.drawer.open = false; this.drawer.querySelector('summary').focus(); }
    });
  }

  // fill lists the scenarios and builds the form of the chosen one.
  fill(list, chosen) {
    this.list = list;
    this.picker.replaceChildren(...list.map((sc) => h('option', { value: sc.name }, sc.title || sc.name)));
    if (chosen && list.some((sc) => sc.name === chosen)) this.picker.value = chosen;
    this.build();
  }

  current() { return this.list.find((sc) => sc.name === this.picker.value) || null; }
  find(name) { return this.list.find((sc) => sc.name === name) || null; }

  // build makes one row per parameter, bounded as the server bounds it.
  build(values = {}) {
    const sc = this.current();
    const legend = this.params.querySelector('legend');
    this.params.replaceChildren(legend);
    if (sc) for (const p of sc.params || []) this.params.append(field(p, values[p.name]));
    this.summarise();
  }

  // summarise writes the current values on the drawer's button.
  summarise() {
    const sc = this.current();
    const parts = [];
    for (const p of (sc && sc.params) || []) {
      const el = this.params.querySelector(`[name="${p.name}"]`);
      if (!el) continue;
      const v = p.type === 'bool' ? (el.checked ? 'yes' : 'no') : el.value;
      const changed = String(v) !== String(p.type === 'bool' ? (p.default ? 'yes' : 'no') : p.default);
      parts.push(`${label(p.name)} ${show(p, v)}${changed ? '*' : ''}`);
    }
    this.sum.textContent = parts.length ? parts.join(' · ') : 'none';
    this.drawer.querySelector('summary').title = parts.length ? `Parameters: ${parts.join(', ')} (* changed)` : 'This scenario has no parameters';
  }

  // setValues fills the form from a session's parameters.
  setValues(scenario, params, pace) {
    if (scenario && this.find(scenario)) this.picker.value = scenario;
    this.build(params || {});
    if (pace) this.pace.value = pace;
  }

  // read returns what the form asks for. Numbers go as numbers; the
  // server checks the bounds and says what is wrong.
  read() {
    const sc = this.current();
    const params = {};
    for (const p of (sc && sc.params) || []) {
      const el = this.params.querySelector(`[name="${p.name}"]`);
      if (!el || el.value === '') continue;
      if (p.type === 'bool') params[p.name] = el.checked;
      else if (p.type === 'int' || p.type === 'float' || p.type === 'number') params[p.name] = Number(el.value);
      else params[p.name] = el.value;
    }
    return { scenario: this.picker.value, params, pace: this.pace.value };
  }

  close() { this.drawer.open = false; }

  // check returns what the page itself can see is wrong with the form,
  // every field at once, in the server's words: a number field that does
  // not hold a whole number, or one outside the bounds the catalogue
  // gives. A request with such a field would be refused anyway, one field
  // at a time; the server still checks everything, and alone checks what
  // the page cannot (one value against another, the kernel's limits).
  check() {
    const errs = [];
    for (const p of (this.current() || {}).params || []) {
      if (p.type !== 'int') continue;
      const el = this.params.querySelector(`[name="${p.name}"]`);
      if (!el) continue;
      const field = `params.${p.name}`;
      if (el.validity && el.validity.badInput) {
        errs.push({ field, message: `${p.name} must be a whole number` });
        continue;
      }
      if (el.value === '') continue; // the server's default
      const n = Number(el.value);
      if (!Number.isInteger(n)) {
        errs.push({ field, message: `${p.name} must be a whole number, not ${el.value}` });
      } else if (p.min != null && p.max != null && (n < p.min || n > p.max)) {
        const unit = p.unit ? ` ${p.unit}` : '';
        errs.push({ field, message: `${p.name} must be between ${p.min} and ${p.max}${unit}, not ${n}` });
      }
    }
    return errs;
  }

  // showError puts the server's sentence next to the field it blames.
  showError(err) { this.showErrors([err]); }

  // showErrors puts each sentence next to the field it blames, opens the
  // drawer if a parameter is among them, and moves the focus to the first.
  showErrors(errs) {
    this.clearErrors();
    let first = null;
    for (const err of errs) {
      const name = (err.field || '').replace(/^params\./, '');
      const inParams = name && this.params.querySelector(`[name="${name}"]`);
      const input = inParams || (name && this.form.querySelector(`[name="${name}"]`));
      const slot = input && input.closest('label') && input.closest('label').querySelector('.field-error');
      if (inParams) this.drawer.open = true;
      if (input) input.setAttribute('aria-invalid', 'true');
      if (slot) slot.textContent = err.message;
      else $('#setup-error').textContent = err.message;
      first = first || input;
    }
    if (first) first.focus();
  }

  clearErrors() {
    $('#setup-error').textContent = '';
    for (const el of this.form.querySelectorAll('.field-error')) el.textContent = '';
    for (const el of this.form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  }
}

const label = (name) => name.replaceAll('_', ' ').replace(/ ms$/, '');

// show says a value with its unit, the way people say it.
function show(p, v) {
  if (p.unit === 'bytes' && v !== '' && Number.isFinite(Number(v))) return bytes(Number(v));
  if (p.unit === 'ms') return `${v} ms`;
  return String(v);
}

function field(p, value) {
  const v = value ?? p.default;
  const err = h('span', { class: 'field-error', role: 'alert' });
  let input;
  if (p.choices && p.choices.length) {
    input = h('select', { name: p.name }, ...p.choices.map((c) => h('option', { value: c, selected: String(c) === String(v) }, c)));
  } else if (p.type === 'bool') {
    input = h('input', { type: 'checkbox', name: p.name, checked: !!v });
  } else if (p.type === 'int' || p.type === 'float' || p.type === 'number') {
    input = h('input', { type: 'number', name: p.name, value: v, min: p.min, max: p.max, step: p.type === 'int' ? 1 : 'any', inputmode: 'numeric' });
  } else {
    input = h('input', { type: 'text', name: p.name, value: v ?? '' });
  }
  input.id = `param-${p.name}`;
  const bounds = p.min !== undefined && p.max !== undefined && p.min !== null && p.max !== null && !p.choices ? ` (${p.min} to ${p.max})` : '';
  const help = h('small', { class: 'help', id: `help-${p.name}` }, `${p.help || ''}${bounds}`);
  input.setAttribute('aria-describedby', help.id);
  return h('label', { class: 'param' },
    h('span', { class: 'pname' }, p.unit && p.unit !== 'ms' ? `${label(p.name)} (${p.unit})` : p.unit === 'ms' ? `${label(p.name)} (ms)` : label(p.name)),
    input, help, err);
}
