import { label } from './i18n.js';

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

export { fmtAgo, fmtNumber, fmtTime, fmtValue } from './i18n.js';

export const SEVERITIES = ['critical', 'major', 'warning', 'info'];
export const STATES = ['open', 'acknowledged', 'resolved', 'closed'];

export function severityBadge(severity) {
  return h('span', { class: `badge sev-${severity}`, dataset: { severity } }, label('severity', severity));
}

export function stateBadge(state) {
  return h('span', { class: `badge state-${state}`, dataset: { state } }, label('state', state));
}

/** A site's name with its id as secondary text; the id alone when the name is unknown. */
export function siteName(sites, id, { link = true } = {}) {
  const name = sites?.get?.(id)?.name;
  const main = link ? h('a', { href: `#/sites/${id}` }, name ?? id) : h('span', {}, name ?? id);
  return h('span', { class: 'site-name' }, main, name ? h('span', { class: 'id small muted' }, ` ${id}`) : null);
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
