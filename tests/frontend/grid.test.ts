import { ResultGrid } from '../../extensions/deslab/src/grid';
import { EVIL, result } from './helpers';

describe('ResultGrid', () => {
  it('shows row count, time, units and every value as text', () => {
    const grid = new ResultGrid(50);
    grid.show(result(3));
    const text = grid.node.textContent ?? '';
    expect(text).toContain('3 rows in 0.25 s');
    expect(grid.node.querySelectorAll('tbody tr')).toHaveLength(3);
    expect(grid.node.querySelector('th:nth-child(3)')?.textContent).toBe('RA [deg]');
    // HTML in a value is shown, not interpreted
    expect(grid.node.querySelector('img')).toBeNull();
    expect(text).toContain(EVIL);
  });

  it('paginates', () => {
    const grid = new ResultGrid(50);
    grid.show(result(120));
    expect(grid.pageCount).toBe(3);
    expect(grid.node.querySelector('.deslab-page')?.textContent).toBe('page 1 of 3');
    (grid.node.querySelector('.deslab-next') as HTMLButtonElement).click();
    expect(grid.currentPage).toBe(1);
    const first = grid.node.querySelector('tbody tr td')?.textContent;
    expect(first).toBe('51');
    grid.goTo(99);
    expect(grid.currentPage).toBe(2);
    expect(grid.node.querySelectorAll('tbody tr')).toHaveLength(20);
    expect((grid.node.querySelector('.deslab-next') as HTMLButtonElement).disabled).toBe(true);
  });

  it('says when the rows were capped, and shows nulls', () => {
    const grid = new ResultGrid();
    const r = result(2, { truncated: true, limit: 2 });
    r.rows[1][2] = null;
    grid.show(r);
    expect(grid.node.textContent).toContain('the first 2 rows');
    expect(grid.node.querySelectorAll('.deslab-null')).toHaveLength(1);
  });
});
