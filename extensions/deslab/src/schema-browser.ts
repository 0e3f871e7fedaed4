/** The schema browser: tables, then a table's columns with type, unit and description. */

import { ITableInfo } from './api';
import { clear, h, input } from './dom';

export class SchemaBrowser {
  readonly node: HTMLDivElement;
  private tables: ITableInfo[] = [];
  private readonly list: HTMLDivElement;
  private readonly filter: HTMLInputElement;
  private open = new Set<string>();

  /** `onPick` receives a table or column name clicked by the user (to insert in the SQL). */
  constructor(private readonly onPick: (name: string) => void) {
    this.filter = input('search', '', { className: 'deslab-schema-filter', attrs: { placeholder: 'Filter tables and columns' } });
    this.filter.addEventListener('input', () => this.render());
    this.list = h('div', { className: 'deslab-schema-list' });
    this.node = h('div', { className: 'deslab-schema' }, this.filter, this.list);
  }

  setTables(tables: ITableInfo[]): void {
    this.tables = tables;
    this.render();
  }

  setMessage(text: string): void {
    clear(this.list);
    this.list.appendChild(h('div', { className: 'deslab-message' }, text));
  }

  toggle(name: string): void {
    if (this.open.has(name)) {
      this.open.delete(name);
    } else {
      this.open.add(name);
    }
    this.render();
  }

  private render(): void {
    clear(this.list);
    const f = this.filter.value.trim().toUpperCase();
    for (const t of this.tables) {
      const cols = f && !t.name.toUpperCase().includes(f) ? t.columns.filter(c => c.name.toUpperCase().includes(f)) : t.columns;
      if (f && !t.name.toUpperCase().includes(f) && !cols.length) {
        continue;
      }
      const expanded = this.open.has(t.name) || (!!f && cols.length > 0 && cols.length < t.columns.length);
      const header = h(
        'div',
        { className: 'deslab-schema-table', title: t.description },
        h(
          'span',
          { className: 'deslab-caret', on: { click: () => this.toggle(t.name) } },
          expanded ? '▾' : '▸'
        ),
        h('span', { className: 'deslab-schema-name', on: { click: () => this.onPick(t.name) }, title: `insert ${t.name}` }, t.name),
        t.rows !== null ? h('span', { className: 'deslab-schema-rows' }, ` ${t.rows.toLocaleString()} rows`) : null
      );
      header.dataset.table = t.name;
      this.list.appendChild(header);
      if (!expanded) {
        continue;
      }
      const rows = cols.map(c =>
        h(
          'tr',
          {},
          h('td', { className: 'deslab-schema-col', on: { click: () => this.onPick(c.name) }, title: `insert ${c.name}` }, c.name),
          h('td', {}, c.type),
          h('td', {}, c.unit),
          h('td', { className: 'deslab-schema-desc' }, c.description)
        )
      );
      this.list.appendChild(
        h(
          'table',
          { className: 'deslab-table deslab-schema-columns' },
          h('thead', {}, h('tr', {}, h('th', {}, 'column'), h('th', {}, 'type'), h('th', {}, 'unit'), h('th', {}, 'description'))),
          h('tbody', {}, ...rows)
        )
      );
    }
  }
}
