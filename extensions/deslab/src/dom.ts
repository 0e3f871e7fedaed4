/**
 * Tiny DOM helpers. Text always goes in through `textContent` / text nodes, never as HTML,
 * so catalog values and job names are shown escaped everywhere.
 */

export type Child = Node | string | number | null | undefined | false;

export interface IProps {
  className?: string;
  title?: string;
  attrs?: Record<string, string>;
  dataset?: Record<string, string>;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (ev: HTMLElementEventMap[K]) => void }>;
}

/** Create an element with properties and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: IProps = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.className) {
    el.className = props.className;
  }
  if (props.title !== undefined) {
    el.title = props.title;
  }
  for (const [k, v] of Object.entries(props.attrs ?? {})) {
    if (/^on/i.test(k)) {
      throw new Error(`event handler attributes are not allowed: ${k}`);
    }
    el.setAttribute(k, v);
  }
  for (const [k, v] of Object.entries(props.dataset ?? {})) {
    el.dataset[k] = v;
  }
  for (const [k, fn] of Object.entries(props.on ?? {})) {
    el.addEventListener(k, fn as EventListener);
  }
  append(el, ...children);
  return el;
}

/** Append children, strings as text nodes. */
export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) {
      continue;
    }
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Remove every child of `el`. */
export function clear(el: Node): void {
  while (el.firstChild) {
    el.removeChild(el.firstChild);
  }
}

/** A button with a label and a click handler. */
export function button(
  label: string,
  onClick: () => void,
  props: IProps = {}
): HTMLButtonElement {
  const b = h('button', { ...props, className: `jp-Button deslab-button ${props.className ?? ''}` }, label);
  b.type = 'button';
  b.addEventListener('click', ev => {
    ev.preventDefault();
    onClick();
  });
  return b;
}

/** A `<select>` with the given (value, label) options. */
export function select(
  options: Array<[string, string]>,
  value: string,
  props: IProps = {}
): HTMLSelectElement {
  const s = h('select', { ...props, className: `jp-mod-styled ${props.className ?? ''}` });
  for (const [v, label] of options) {
    const o = h('option', {}, label);
    o.value = v;
    s.appendChild(o);
  }
  s.value = value;
  return s;
}

/** A labelled form field. */
export function field(label: string, control: HTMLElement, hint = ''): HTMLLabelElement {
  return h(
    'label',
    { className: 'deslab-field', title: hint || undefined },
    h('span', { className: 'deslab-field-label' }, label),
    control
  );
}

/** An `<input>` of a type with a value. */
export function input(type: string, value = '', props: IProps = {}): HTMLInputElement {
  const i = h('input', { ...props, className: `jp-mod-styled ${props.className ?? ''}` });
  i.type = type;
  i.value = value;
  return i;
}
