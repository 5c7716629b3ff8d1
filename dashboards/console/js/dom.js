// Small DOM helpers. Text always goes in as text nodes, never as HTML: event messages,
// notes and names come from devices and people.

/**
 * h('a', { href: '#/x', class: 'c', onclick: fn }, 'text', child) -> element.
 * Attributes set to null, undefined or false are left out; true sets an empty attribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

/** Local time as 2024-05-01 08:30:15 (Swedish locale writes ISO-like dates). */
export function fmtTime(ms) {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toLocaleString('sv-SE');
}

export function fmtAgo(ms, now = Date.now()) {
  if (ms === null || ms === undefined) return 'never';
  const s = Math.round((now - ms) / 1000);
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function fmtValue(v) {
  if (v === null || v === undefined) return '—';
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}

export const SEVERITIES = ['critical', 'major', 'warning', 'info'];
export const STATES = ['open', 'acknowledged', 'resolved', 'closed'];

export function severityBadge(severity) {
  return h('span', { class: `badge sev-${severity}` }, severity);
}

export function stateBadge(state) {
  return h('span', { class: `badge state-${state}` }, state);
}

/** "hazardous_chemicals" -> "hazardous chemicals" */
export function words(s) {
  return String(s).replaceAll('_', ' ');
}

/** A labelled <select>; options are values or [value, label] pairs. */
export function select(id, label, options, value, onchange) {
  const sel = h('select', { id, name: id, onchange });
  for (const o of options) {
    const [v, text] = Array.isArray(o) ? o : [o, o];
    sel.append(h('option', { value: v, selected: v === value }, text));
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), sel);
}

export function errorBox(message) {
  return h('p', { class: 'error', role: 'alert' }, message);
}
