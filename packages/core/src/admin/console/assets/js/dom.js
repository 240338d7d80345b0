// Builds DOM nodes from data as text only: no HTML strings anywhere (the CSP's Trusted Types refuse them anyway).

/**
 * h('button', { class: 'danger', onclick: fn, 'aria-label': 'Close' }, 'Text', otherNode)
 * Attributes starting with "on" become event listeners; `false`, `null` and `undefined` attributes
 * and children are left out; strings and numbers become text nodes.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name === 'value' && 'value' in element) element.value = String(value);
    else if (name === 'checked' || name === 'selected' || name === 'disabled') element[name] = Boolean(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces a node's children. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** A definition list from [term, description] pairs; pairs whose description is empty are left out. */
export function details(pairs, attributes = {}) {
  const list = h('dl', { class: 'facts', ...attributes });
  for (const [term, description] of pairs) {
    if (description === undefined || description === null || description === '') continue;
    list.append(h('dt', {}, term), h('dd', {}, description));
  }
  return list;
}

/** A table with a caption, header cells with scope, and one row per item. */
export function table({ caption, columns, rows, empty = 'Nothing to show.', className = 'data' }) {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'div',
    { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': caption },
    h(
      'table',
      { class: className },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, columns.map((column) => h('th', { scope: 'col', class: column.className }, column.label)))),
      h('tbody', {}, rows.map((row) => h('tr', row.attributes ?? {}, columns.map((column) => h('td', { class: column.className }, column.cell(row.item)))))),
    ),
  );
}

/** A labelled form field; `control` is an input, select or textarea element. */
export function field(label, control, hint) {
  const id = control.id || `field-${Math.random().toString(36).slice(2, 10)}`;
  control.id = id;
  const hintNode = hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute('aria-describedby', hintNode.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintNode);
}

export function badge(text, kind = 'neutral', title) {
  return h('span', { class: `badge badge-${kind}`, title }, text);
}

/** SQL and other code, shown as text in a scrollable block. */
export function code(text, label) {
  return h('pre', { class: 'code', tabindex: '0', 'aria-label': label }, h('code', {}, text ?? ''));
}
