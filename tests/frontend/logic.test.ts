import { loadResultCode, relativePath } from '../../extensions/deslab/src/cells';
import { SQL_MIME, desqlMimeType, isDesqlCell, watchModel } from '../../extensions/deslab/src/desql';
import { formatUntil, formatValue } from '../../extensions/deslab/src/format';
import { JobsMonitor } from '../../extensions/deslab/src/jobs-monitor';
import { describeEvent } from '../../extensions/deslab/src/notify';
import { job, scripted } from './helpers';

describe('%%desql highlighting', () => {
  it('recognises the cell magic', () => {
    expect(isDesqlCell('%%desql\nSELECT 1')).toBe(true);
    expect(isDesqlCell('  %%desql -o out.fits\nSELECT 1')).toBe(true);
    expect(isDesqlCell('%%desqlx\n')).toBe(false);
    expect(isDesqlCell('x = 1\n%%desql')).toBe(false);
  });

  it('switches Python cells to SQL and back', () => {
    expect(desqlMimeType('%%desql\nSELECT', 'text/x-ipython', undefined)).toBe(SQL_MIME);
    expect(desqlMimeType('%%desql\nSELECT', 'text/markdown', undefined)).toBeNull();
    expect(desqlMimeType('print(1)', SQL_MIME, 'text/x-ipython')).toBe('text/x-ipython');
    expect(desqlMimeType('print(1)', SQL_MIME, undefined)).toBeNull(); // a real SQL editor
  });

  function model(source: string, mime = 'text/x-ipython') {
    const sourceListeners: Array<() => void> = [];
    const mimeListeners: Array<(s: any, a: any) => void> = [];
    const m = {
      _mime: mime,
      source,
      get mimeType() {
        return this._mime;
      },
      set mimeType(v: string) {
        const old = this._mime;
        this._mime = v;
        mimeListeners.forEach(fn => fn(m, { oldValue: old, newValue: v }));
      },
      mimeTypeChanged: { connect: (fn: any) => mimeListeners.push(fn) },
      sharedModel: {
        getSource: () => m.source,
        changed: { connect: (fn: any) => sourceListeners.push(fn) }
      },
      edit(text: string) {
        m.source = text;
        sourceListeners.forEach(fn => fn());
      }
    };
    return m;
  }

  it('follows edits and the kernel resetting the MIME type', () => {
    const m = model('print(1)');
    watchModel(m);
    expect(m.mimeType).toBe('text/x-ipython');
    m.edit('%%desql\nSELECT RA FROM DR2_MAIN');
    expect(m.mimeType).toBe(SQL_MIME);
    m.mimeType = 'text/x-ipython'; // the notebook learns the kernel's language
    expect(m.mimeType).toBe(SQL_MIME);
    m.edit('SELECT = 1');
    expect(m.mimeType).toBe('text/x-ipython');
  });
});

describe('result cells', () => {
  it('computes paths relative to the notebook', () => {
    expect(relativePath('', 'jobs/x/r.fits')).toBe('jobs/x/r.fits');
    expect(relativePath('work/nb', 'jobs/x/r.fits')).toBe('../../jobs/x/r.fits');
    expect(relativePath('jobs', 'jobs/x/r.fits')).toBe('x/r.fits');
  });

  it('writes code that reads the file with the right reader and a safe comment', () => {
    const code = loadResultCode('jobs/x/r.csv.gz', 'work', 'a "quoted"\nname');
    expect(code).toContain('Table.read("../jobs/x/r.csv.gz", format="ascii.csv")');
    expect(code.split('\n')[0]).toBe('# result of the DES job "a \\"quoted\\" name"');
    expect(loadResultCode('jobs/x/r.ecsv', '', 'n')).toContain('format="ascii.ecsv"');
    expect(loadResultCode('jobs/x/r.h5', '', 'n')).toContain('path="data"');
    expect(loadResultCode('jobs/x/r.fits', '', 'n')).toContain('Table.read("jobs/x/r.fits")');
  });
});

describe('notifications and formatting', () => {
  it('describes job events', () => {
    const j = job({ name: 'stars' });
    const ev = { id: 1, job_id: j.id, kind: 'phase', phase: 'COMPLETED' as const, message: '', created: '' };
    expect(describeEvent(ev, j)).toEqual({ level: 'success', message: 'DES query job “stars” completed.' });
    expect(describeEvent({ ...ev, phase: 'ERROR', message: 'unknown table' }, j).level).toBe('error');
    expect(describeEvent({ ...ev, kind: 'expiring', phase: null }, j).message).toContain('expires soon');
  });

  it('formats values and expiry', () => {
    expect(formatValue(null)).toBe('');
    expect(formatValue(3)).toBe('3');
    expect(formatValue(0.1 + 0.2)).toBe('0.3');
    expect(formatValue(1.5e-7)).toBe('1.500000e-7');
    expect(formatUntil(new Date(Date.now() + 3 * 86400e3).toISOString())).toBe('in 3 days');
    expect(formatUntil('2000-01-01T00:00:00Z')).toBe('expired');
  });
});

describe('JobsMonitor', () => {
  it('skips old events on first start, then reports new ones with their job', async () => {
    const j = job({ name: 'm2' });
    let served = 0;
    const { api } = scripted({
      'GET jobs': () => [200, { jobs: [j], total: 1 }],
      'GET events': c => {
        served++;
        const since = Number(new URLSearchParams(c.path.split('?')[1]).get('since'));
        return since < 7 ? [200, { events: [{ id: 7, job_id: j.id, kind: 'phase', phase: 'COMPLETED', message: '', created: '' }], last_id: 7 }] : [200, { events: [], last_id: since }];
      }
    });
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    const monitor = new JobsMonitor(api, { storage });
    const seen: string[] = [];
    monitor.onEvent((ev, jb) => seen.push(`${ev.kind}:${ev.phase}:${jb?.name}`));
    expect(await (monitor as any).initialCursor()).toBe(7);
    expect(served).toBeGreaterThan(0);
    await monitor.handleEvents([{ id: 8, job_id: j.id, kind: 'phase', phase: 'ERROR', message: 'x', created: '' }]);
    expect(seen).toEqual(['phase:ERROR:m2']);
    expect(store.get('deslab:last-event-id')).toBe('8');
    expect(await (monitor as any).initialCursor()).toBe(8);
  });

  it('polls faster while a job is active', async () => {
    const { api } = scripted({ 'GET jobs': () => [200, { jobs: [job({ phase: 'EXECUTING' })], total: 1 }] });
    const monitor = new JobsMonitor(api);
    await monitor.refresh();
    expect(monitor.hasActive).toBe(true);
    monitor.stop();
  });
});
