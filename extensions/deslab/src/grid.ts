/** A paginated grid of query results; every value is set as text. */

import { IQueryResult } from './api';
import { button, clear, h } from './dom';
import { formatDuration, formatValue } from './format';

export class ResultGrid {
  readonly node: HTMLDivElement;
  private result: IQueryResult | null = null;
  private page = 0;
  private readonly summary: HTMLDivElement;
  private readonly tableHost: HTMLDivElement;
  private readonly pager: HTMLDivElement;

  constructor(readonly pageSize = 50) {
    this.summary = h('div', { className: 'deslab-grid-summary' });
    this.tableHost = h('div', { className: 'deslab-grid-scroll' });
    this.pager = h('div', { className: 'deslab-grid-pager' });
    this.node = h('div', { className: 'deslab-grid' }, this.summary, this.tableHost, this.pager);
  }

  get pageCount(): number {
    return this.result ? Math.max(1, Math.ceil(this.result.rows.length / this.pageSize)) : 0;
  }

  get currentPage(): number {
    return this.page;
  }

  show(result: IQueryResult): void {
    this.result = result;
    this.page = 0;
    this.render();
  }

  clear(): void {
    this.result = null;
    clear(this.summary);
    clear(this.tableHost);
    clear(this.pager);
  }

  goTo(page: number): void {
    if (!this.result) {
      return;
    }
    this.page = Math.min(Math.max(0, page), this.pageCount - 1);
    this.render();
  }

  private render(): void {
    const r = this.result;
    if (!r) {
      return;
    }
    clear(this.summary);
    const rows = `${r.row_count} row${r.row_count === 1 ? '' : 's'}`;
    const more = r.truncated ? ` (the first ${r.limit} rows; the query has more: submit it as a job for all of them)` : '';
    this.summary.textContent = `${rows} in ${formatDuration(r.seconds)}${more}`;

    clear(this.tableHost);
    const head = h('tr', {});
    head.appendChild(h('th', { className: 'deslab-rownum' }, '#'));
    for (const c of r.columns) {
      head.appendChild(
        h(
          'th',
          { title: [c.type, c.unit ? `[${c.unit}]` : '', c.description].filter(Boolean).join(' ') },
          c.name,
          c.unit ? h('span', { className: 'deslab-unit' }, ` [${c.unit}]`) : null
        )
      );
    }
    const body = h('tbody', {});
    const start = this.page * this.pageSize;
    const slice = r.rows.slice(start, start + this.pageSize);
    slice.forEach((row, i) => {
      const tr = h('tr', {}, h('td', { className: 'deslab-rownum' }, String(start + i + 1)));
      for (const v of row) {
        tr.appendChild(h('td', { className: v === null ? 'deslab-null' : '' }, formatValue(v)));
      }
      body.appendChild(tr);
    });
    this.tableHost.appendChild(h('table', { className: 'deslab-table' }, h('thead', {}, head), body));

    clear(this.pager);
    if (this.pageCount > 1) {
      const prev = button('‹ Prev', () => this.goTo(this.page - 1), { className: 'deslab-prev' });
      const next = button('Next ›', () => this.goTo(this.page + 1), { className: 'deslab-next' });
      prev.disabled = this.page === 0;
      next.disabled = this.page >= this.pageCount - 1;
      this.pager.append(
        prev,
        h('span', { className: 'deslab-page' }, `page ${this.page + 1} of ${this.pageCount}`),
        next
      );
    }
  }
}
