/**
 * Building DOM without innerHTML: text is always a text node, so nothing the
 * API returns can become markup.
 */

export type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | boolean | number | undefined | ((e: Event) => void)>;

/** `h('a', {href, class: 'x', onclick}, 'text', child)`: attributes as strings, `on*` as listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces the element's content. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

/** A value as indented JSON text (shown in a <pre>, so as text). */
export const pretty = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));

/** An ISO time in the reader's locale, with the ISO text as its title. */
export function time(iso: string | null | undefined): HTMLElement {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const d = new Date(iso);
  return h('time', { datetime: iso, title: iso }, Number.isNaN(d.getTime()) ? iso : d.toLocaleString());
}

/** A table cell labelled for the phone layout (where each row is a card of label/value lines); its content is one block. */
export const cell = (label: string, ...children: Child[]) => h('td', { 'data-label': label }, h('div', {}, ...children));
