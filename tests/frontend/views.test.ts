import { IJob } from '../../extensions/deslab/src/api';
import { CutoutsView } from '../../extensions/deslab/src/cutouts-view';
import { FootprintView, meanRA, project, wrapOffset } from '../../extensions/deslab/src/footprint-view';
import { JobsMonitor } from '../../extensions/deslab/src/jobs-monitor';
import { JobsView, mainResult } from '../../extensions/deslab/src/jobs-view';
import { QueryView } from '../../extensions/deslab/src/query-view';
import { EVIL, TABLES, flush, job, result, scripted, textEditor } from './helpers';

describe('QueryView', () => {
  function make(routes: Parameters<typeof scripted>[0]) {
    const { api, calls } = scripted({ 'GET schema': () => [200, { tables: TABLES }], ...routes });
    const editor = textEditor();
    const submitted: IJob[] = [];
    const view = new QueryView({ api, editor, onSubmitted: j => submitted.push(j) });
    return { view, editor, calls, submitted };
  }

  it('runs a quick query into the grid', async () => {
    const { view, editor, calls } = make({ 'POST query': () => [200, result(3)] });
    editor.setValue('SELECT ID, RA, NAME FROM T');
    await view.run();
    expect(calls[0].body).toEqual({ sql: 'SELECT ID, RA, NAME FROM T', limit: 1000 });
    expect(view.grid.node.querySelectorAll('tbody tr')).toHaveLength(3);
    expect(view.status.textContent).toBe('');
  });

  it("shows the server's error and clears the grid", async () => {
    const { view, editor } = make({ 'POST query': () => [400, { message: `unknown column ${EVIL}` }] });
    editor.setValue('SELECT X FROM T');
    await view.run();
    expect(view.status.textContent).toBe(`unknown column ${EVIL}`);
    expect(view.status.querySelector('img')).toBeNull();
    expect(view.grid.node.querySelector('table')).toBeNull();
  });

  it('asks for SQL before running', async () => {
    const { view, calls } = make({});
    await view.run();
    expect(calls).toHaveLength(0);
    expect(view.status.textContent).toContain('Write a query');
  });

  it('submits a job with format, compression and name', async () => {
    const { view, editor, calls, submitted } = make({ 'POST jobs': c => [201, job({ name: c.body.name, phase: 'QUEUED' })] });
    editor.setValue('SELECT RA FROM DR2_MAIN');
    view.format.value = 'csv';
    view.format.dispatchEvent(new Event('change'));
    expect([...view.compression.options].map(o => o.value)).toEqual(['', 'gzip']);
    view.compression.value = 'gzip';
    view.jobName.value = 'all RA';
    await view.submit();
    expect(calls[0].body).toEqual({ type: 'query', sql: 'SELECT RA FROM DR2_MAIN', format: 'csv', compression: 'gzip', name: 'all RA' });
    expect(submitted.map(j => j.name)).toEqual(['all RA']);
    view.format.value = 'fits';
    view.format.dispatchEvent(new Event('change'));
    expect(view.compression.disabled).toBe(true);
  });

  it('fills the editor from the example menu and the schema browser', async () => {
    const { view, editor } = make({});
    view.examples.value = '3';
    view.examples.dispatchEvent(new Event('change'));
    expect(editor.getValue()).toContain('GROUP BY HPIX_32');
    await view.loadSchema();
    expect((editor as any).tables).toHaveLength(2);
    const names = [...view.schema.node.querySelectorAll('.deslab-schema-name')].map(n => n.textContent);
    expect(names).toEqual(['DR2_MAIN', 'DR2_TILE_INFO']);
    (view.schema.node.querySelector('.deslab-caret') as HTMLElement).click();
    const cols = view.schema.node.querySelectorAll('.deslab-schema-col');
    expect(cols).toHaveLength(3);
    expect(view.schema.node.textContent).toContain(EVIL); // description shown as text
    expect(view.schema.node.querySelector('img')).toBeNull();
    (cols[2] as HTMLElement).click();
    expect(editor.getValue().endsWith('MAG_AUTO_G')).toBe(true);
  });
});

describe('JobsView', () => {
  const evilJob = job({ name: EVIL });
  function make(jobs: IJob[], routes: Parameters<typeof scripted>[0] = {}, confirm = true) {
    const { api, calls } = scripted({ 'GET jobs': () => [200, { jobs, total: jobs.length }], ...routes });
    const monitor = new JobsMonitor(api);
    const opened: string[] = [];
    const inserted: string[] = [];
    const view = new JobsView(api, monitor, {
      openFolder: p => opened.push(p),
      insertCell: (_j, f) => inserted.push(f.name),
      showGallery: () => undefined,
      confirm: async () => confirm
    });
    return { view, monitor, calls, opened, inserted };
  }

  it('lists jobs with phase, escaped names and actions by phase', async () => {
    const running = job({ id: 'b'.repeat(32), name: 'running', phase: 'EXECUTING', progress: 0.42, results: [], dir: null });
    const { view, monitor } = make([evilJob, running]);
    await monitor.refresh();
    const rows = view.node.querySelectorAll('tr.deslab-job');
    expect(rows).toHaveLength(2);
    expect(rows[0].querySelector('.deslab-job-name')?.textContent).toBe(EVIL);
    expect(view.node.querySelector('img')).toBeNull();
    expect(rows[1].textContent).toContain('EXECUTING 42%');
    expect(rows[0].querySelector('.deslab-cancel')).toBeNull();
    expect(rows[1].querySelector('.deslab-cancel')).not.toBeNull();
    expect(rows[0].querySelector('.deslab-open')).not.toBeNull();
    expect(rows[1].querySelector('.deslab-open')).toBeNull();
  });

  it('opens the folder and inserts a loading cell', async () => {
    const { view, monitor, opened, inserted } = make([evilJob]);
    await monitor.refresh();
    (view.node.querySelector('.deslab-open') as HTMLButtonElement).click();
    (view.node.querySelector('.deslab-insert') as HTMLButtonElement).click();
    expect(opened).toEqual([evilJob.dir]);
    expect(inserted).toEqual(['result.fits']);
  });

  it('cancels, renames, renews and deletes through the API', async () => {
    const running = job({ phase: 'QUEUED', results: [] });
    const { view, monitor, calls } = make([running], {
      'POST jobs/a+/cancel': () => [202, { ...running, phase: 'ABORTED' }],
      'PATCH jobs/a+': c => [200, { ...running, ...c.body }],
      'DELETE jobs/a+': () => [204, null]
    });
    await monitor.refresh();
    await view.cancel(running);
    await view.rename(running, 'new name');
    await view.renew(running);
    await view.remove(running);
    const acts = calls.filter(c => c.method !== 'GET').map(c => `${c.method} ${c.path} ${JSON.stringify(c.body ?? null)}`);
    expect(acts).toEqual([
      `POST jobs/${running.id}/cancel {}`,
      `PATCH jobs/${running.id} {"name":"new name"}`,
      `PATCH jobs/${running.id} {"lifetime_days":14}`,
      `DELETE jobs/${running.id} null`
    ]);
  });

  it('does not delete without confirmation, and shows action errors', async () => {
    const { view, monitor, calls } = make([evilJob], { 'POST jobs/a+/cancel': () => [409, { message: 'job has already ended (COMPLETED)' }] }, false);
    await monitor.refresh();
    await view.remove(evilJob);
    expect(calls.some(c => c.method === 'DELETE')).toBe(false);
    await view.cancel(evilJob);
    expect(view.status.textContent).toBe('Cancel failed: job has already ended (COMPLETED)');
  });

  it('picks the data file as the main result', () => {
    const j = job({ results: [{ name: 'a.png', size: 1, path: 'x/a.png' }, { name: 'out.parquet', size: 1, path: 'x/out.parquet' }] });
    expect(mainResult(j)?.name).toBe('out.parquet');
  });
});

describe('CutoutsView', () => {
  it('asks for positions when the text has none', () => {
    const { api } = scripted({});
    const view = new CutoutsView(api, new JobsMonitor(api), { fileUrl: p => p });
    for (const text of ['', '  \n', '# only a comment\n']) {
      view.positions.value = text;
      expect(view.request()).toContain('Give at least one position');
    }
  });

  it('submits the form as a cutout job and shows the gallery when it completes', async () => {
    const id = 'c'.repeat(32);
    let phase = 'QUEUED';
    const done = () =>
      job({
        id,
        type: 'cutout',
        phase: phase as any,
        name: EVIL,
        summary: { ok: 2, failed: 0 },
        results: [
          { name: 'DES0000+0000_1_rgb.png', size: 10, path: `jobs/${id}/DES0000+0000_1_rgb.png` },
          { name: `${EVIL}.png`, size: 10, path: `jobs/${id}/x.png` },
          { name: 'a_g.fits', size: 10, path: `jobs/${id}/a_g.fits` }
        ]
      });
    const { api, calls } = scripted({ 'POST jobs': () => [201, done()], 'GET jobs': () => [200, { jobs: [done()], total: 1 }] });
    const monitor = new JobsMonitor(api);
    const view = new CutoutsView(api, monitor, { fileUrl: p => `/files/${p}` });
    expect(view.request()).toContain('Give at least one position');
    view.positions.value = '0.05 0.02\n359.95, -0.1';
    view.xsize.value = '0.5';
    view.bandBoxes.z.checked = true;
    view.rgbBands.value = 'zri';
    view.q.value = '8';
    await view.submit();
    expect(calls[0].body).toEqual({
      type: 'cutout',
      positions: '0.05 0.02\n359.95, -0.1',
      rgb: true,
      bands: 'griz',
      xsize: 0.5,
      ysize: 1,
      rgb_bands: 'zri',
      rgb_q: 8
    });
    expect(view.status.textContent).toContain('QUEUED');
    expect(view.gallery.querySelector('img')).toBeNull();
    phase = 'COMPLETED';
    await monitor.refresh();
    await flush();
    const imgs = [...view.gallery.querySelectorAll('img')];
    expect(imgs.map(i => i.getAttribute('src'))).toEqual([`/files/jobs/${id}/DES0000+0000_1_rgb.png`, `/files/jobs/${id}/x.png`]);
    expect(view.gallery.querySelectorAll('figcaption')[1].textContent).toBe(`${EVIL}.png`);
    expect(view.gallery.querySelectorAll('img[onerror]')).toHaveLength(0);
    expect(view.status.textContent).toContain('2 PNG images, 1 FITS stamp');
  });

  it('refuses sizes that are not positive', () => {
    const { api } = scripted({});
    const view = new CutoutsView(api, new JobsMonitor(api), { fileUrl: p => p });
    view.positions.value = '1 2';
    view.ysize.value = '-1';
    expect(view.request()).toBe('Height must be a positive number of arcminutes.');
  });
});

describe('FootprintView', () => {
  const tiles = [
    { name: 'DES0000+0000', ra: 0, dec: 0, crossra0: true, corners: [[359.9, -0.05], [0.1, -0.05], [0.1, 0.05], [359.9, 0.05]] as Array<[number, number]> },
    { name: 'DES0001+0000', ra: 0.1, dec: 0, crossra0: false, corners: [[0.05, -0.05], [0.15, -0.05], [0.15, 0.05], [0.05, 0.05]] as Array<[number, number]> },
    { name: EVIL, ra: 359.8, dec: 0, crossra0: false, corners: [[359.75, -0.05], [359.85, -0.05], [359.85, 0.05], [359.75, 0.05]] as Array<[number, number]> }
  ];

  it('projects across RA = 0 without a seam', () => {
    expect(wrapOffset(359.9, 0)).toBeCloseTo(-0.1);
    expect(wrapOffset(0.1, 359.9)).toBeCloseTo(0.2);
    expect(meanRA([359.9, 0.1])).toBeCloseTo(0, 6);
    const [x1] = project(359.9, 0, 0);
    const [x2] = project(0.1, 0, 0);
    expect(x1).toBeGreaterThan(x2); // RA grows to the left
    expect(Math.abs(x1 - x2)).toBeCloseTo(0.2);
  });

  it('draws every tile with its name as text and finds tiles', async () => {
    const { api, calls } = scripted({
      'GET footprint': () => [200, { tiles }],
      'GET footprint/search': c => [200, { query: 'q', kind: 'position', ra: 0.12, dec: 0.01, tiles: [{ name: 'DES0001+0000', ra: 0.1, dec: 0, edge_distance: 1.2 }], message: '' }]
    });
    const view = new FootprintView(api);
    await view.load();
    const polys = view.map.querySelectorAll('polygon');
    expect(polys).toHaveLength(3);
    expect([...view.map.querySelectorAll('title')].map(t => t.textContent)[2]).toContain(EVIL);
    expect(view.map.querySelector('img')).toBeNull();
    const box = view.map.getAttribute('viewBox')!.split(' ').map(Number);
    expect(box[2]).toBeLessThan(1); // fitted to the footprint, not the whole sky
    const r = await view.search('0.12, 0.01');
    expect(calls[1].path).toBe('footprint/search?q=0.12%2C%200.01');
    expect(r?.tiles[0].name).toBe('DES0001+0000');
    const found = view.map.querySelectorAll('.deslab-tile-found');
    expect(found).toHaveLength(1);
    expect((found[0] as SVGElement).dataset.tile).toBe('DES0001+0000');
    expect(view.info.textContent).toContain('is in DES0001+0000');
    expect(view.map.querySelectorAll('circle')).toHaveLength(1);
  });

  it('shows search errors', async () => {
    const { api } = scripted({ 'GET footprint/search': () => [400, { message: "no tile is named 'DES9'" }] });
    const view = new FootprintView(api);
    await view.search('DES9');
    expect(view.info.textContent).toBe("no tile is named 'DES9'");
  });
});
