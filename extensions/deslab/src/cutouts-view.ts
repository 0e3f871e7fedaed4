/** The Cutouts view: positions (typed or a CSV file), sizes, bands, RGB; job; PNG gallery. */

import { APIError, DeslabAPI, ICutoutJobRequest, IJob } from './api';
import { button, clear, field, h, input } from './dom';
import { JobsMonitor } from './jobs-monitor';
import {
  BANDS,
  DEFAULT_BANDS,
  DEFAULT_SIZE_ARCMIN,
  MAX_POSITIONS_BYTES,
  MAX_SIZE_ARCMIN,
  MIN_SIZE_ARCMIN,
  NAME_MAX_CHARS
} from './contract';

export { BANDS };

export interface ICutoutsViewHost {
  /** URL of a file under the Jupyter server's root (for `<img src>`). */
  fileUrl(path: string): string;
}

export class CutoutsView {
  readonly node: HTMLDivElement;
  readonly positions: HTMLTextAreaElement;
  readonly file: HTMLInputElement;
  readonly xsize: HTMLInputElement;
  readonly ysize: HTMLInputElement;
  readonly bandBoxes: Record<string, HTMLInputElement> = {};
  readonly rgb: HTMLInputElement;
  readonly rgbBands: HTMLInputElement;
  readonly stretch: HTMLInputElement;
  readonly q: HTMLInputElement;
  readonly jobName: HTMLInputElement;
  readonly submitButton: HTMLButtonElement;
  readonly status: HTMLDivElement;
  readonly gallery: HTMLDivElement;
  /** The job whose gallery is shown (or awaited). */
  watching: string | null = null;

  constructor(
    private readonly api: DeslabAPI,
    private readonly monitor: JobsMonitor,
    private readonly host: ICutoutsViewHost
  ) {
    this.positions = h('textarea', {
      className: 'deslab-positions jp-mod-styled',
      attrs: { rows: '6', placeholder: 'RA, DEC in degrees, one position per line\n0.05, 0.02\n359.95 -0.1\n(or a CSV with RA,DEC or COADD_OBJECT_ID columns, and optional XSIZE, YSIZE)' }
    });
    this.file = input('file', '', { className: 'deslab-csv-file', attrs: { accept: '.csv,text/csv,text/plain' } });
    this.file.addEventListener('change', () => void this.readFile());
    this.xsize = input('number', String(DEFAULT_SIZE_ARCMIN.toFixed(1)), {
      className: 'deslab-xsize',
      attrs: { min: String(MIN_SIZE_ARCMIN), max: String(MAX_SIZE_ARCMIN), step: '0.1' }
    });
    this.ysize = input('number', String(DEFAULT_SIZE_ARCMIN.toFixed(1)), {
      className: 'deslab-ysize',
      attrs: { min: String(MIN_SIZE_ARCMIN), max: String(MAX_SIZE_ARCMIN), step: '0.1' }
    });
    const bands = h('span', { className: 'deslab-bands' });
    for (const b of BANDS) {
      const box = input('checkbox', b, { className: `deslab-band-${b}` });
      box.checked = DEFAULT_BANDS.includes(b);
      this.bandBoxes[b] = box;
      bands.appendChild(h('label', { className: 'deslab-band' }, box, b));
    }
    this.rgb = input('checkbox', 'rgb', { className: 'deslab-rgb' });
    this.rgb.checked = true;
    this.rgbBands = input('text', 'irg', { className: 'deslab-rgb-bands', attrs: { maxlength: '3', size: '3' } });
    this.stretch = input('number', '', { className: 'deslab-rgb-stretch', attrs: { step: 'any', placeholder: 'auto' } });
    this.q = input('number', '', { className: 'deslab-rgb-q', attrs: { step: 'any', placeholder: 'auto' } });
    this.jobName = input('text', '', { className: 'deslab-job-name', attrs: { placeholder: 'job name (optional)', maxlength: String(NAME_MAX_CHARS) } });
    this.submitButton = button('Submit cutout job', () => void this.submit(), { className: 'deslab-submit-cutouts jp-mod-accept' });
    this.status = h('div', { className: 'deslab-status', attrs: { role: 'status' } });
    this.gallery = h('div', { className: 'deslab-gallery' });
    this.node = h(
      'div',
      { className: 'deslab-view deslab-cutouts-view' },
      field('Positions', this.positions),
      field('or upload a CSV', this.file),
      h('div', { className: 'deslab-toolbar' }, field('Width (arcmin)', this.xsize), field('Height (arcmin)', this.ysize)),
      field('Bands', bands),
      h(
        'div',
        { className: 'deslab-toolbar' },
        field('Colour PNG', this.rgb),
        field('RGB bands', this.rgbBands, 'three bands for red, green, blue (e.g. irg)'),
        field('Stretch', this.stretch, 'Lupton stretch (blank: default)'),
        field('Q', this.q, 'Lupton Q softening (blank: default)')
      ),
      h('div', { className: 'deslab-toolbar' }, field('Name', this.jobName), this.submitButton),
      this.status,
      this.gallery
    );
    this.monitor.onChange(() => this.update());
  }

  setStatus(text: string, kind: 'info' | 'error' | 'busy' = 'info'): void {
    this.status.textContent = text;
    this.status.className = `deslab-status deslab-status-${kind}`;
  }

  private async readFile(): Promise<void> {
    const f = this.file.files?.[0];
    if (!f) {
      return;
    }
    if (f.size > MAX_POSITIONS_BYTES) {
      const mb = MAX_POSITIONS_BYTES / 1e6;
      this.setStatus(`${f.name} is larger than ${mb} MB: split the positions into several jobs.`, 'error');
      return;
    }
    this.positions.value = await f.text();
    this.setStatus(`Loaded ${f.name}.`);
  }

  /** The job request the form describes; an error message instead when it is incomplete. */
  request(): ICutoutJobRequest | string {
    // The text goes to the job service as typed: deslab.cutouts.positions is the one parser
    // (typed "ra dec" lines, or CSV with a header), and its errors come back per row.
    const positions = this.positions.value;
    if (!positions.split(/\r?\n/).some(l => l.trim() && !l.trim().startsWith('#'))) {
      return 'Give at least one position (RA, DEC in degrees) or upload a CSV file.';
    }
    const bands = BANDS.filter(b => this.bandBoxes[b].checked).join('');
    if (!bands && !this.rgb.checked) {
      return 'Choose at least one band, or a colour PNG.';
    }
    const req: ICutoutJobRequest = { positions, rgb: this.rgb.checked };
    if (bands) {
      req.bands = bands;
    }
    for (const [key, el] of [['xsize', this.xsize], ['ysize', this.ysize]] as const) {
      if (el.value !== '') {
        const v = Number(el.value);
        if (!isFinite(v) || v <= 0) {
          return `${key === 'xsize' ? 'Width' : 'Height'} must be a positive number of arcminutes.`;
        }
        req[key] = v;
      }
    }
    if (this.rgb.checked) {
      const rb = this.rgbBands.value.trim();
      if (rb) {
        req.rgb_bands = rb;
      }
      if (this.stretch.value !== '') {
        req.rgb_stretch = Number(this.stretch.value);
      }
      if (this.q.value !== '') {
        req.rgb_q = Number(this.q.value);
      }
    }
    if (this.jobName.value.trim()) {
      req.name = this.jobName.value.trim();
    }
    return req;
  }

  async submit(): Promise<IJob | null> {
    const req = this.request();
    if (typeof req === 'string') {
      this.setStatus(req, 'error');
      return null;
    }
    this.submitButton.disabled = true;
    try {
      const job = await this.api.submitCutouts(req);
      this.watching = job.id;
      this.monitor.upsert(job);
      this.update();
      return job;
    } catch (err) {
      this.setStatus(err instanceof APIError ? err.message : String(err), 'error');
      return null;
    } finally {
      this.submitButton.disabled = false;
    }
  }

  /** Show the gallery of a (completed) cutout job. */
  show(job: IJob): void {
    this.watching = job.id;
    this.monitor.upsert(job);
    this.update();
  }

  private update(): void {
    if (!this.watching) {
      return;
    }
    const job = this.monitor.find(this.watching);
    if (!job) {
      return;
    }
    if (job.phase !== 'COMPLETED') {
      clear(this.gallery);
      const kind = job.phase === 'ERROR' || job.phase === 'ABORTED' ? 'error' : 'busy';
      const pct = job.phase === 'EXECUTING' && job.progress ? ` ${Math.round(job.progress * 100)}%` : '';
      this.setStatus(`Job “${job.name}”: ${job.phase}${pct}${job.error ? ` (${job.error})` : ''}`, kind);
      return;
    }
    if (this.gallery.dataset.jobId === job.id) {
      return;
    }
    this.renderGallery(job);
  }

  renderGallery(job: IJob): void {
    clear(this.gallery);
    this.gallery.dataset.jobId = job.id;
    const pngs = job.results.filter(r => /\.png$/i.test(r.name) && r.path);
    const stamps = job.results.filter(r => /\.fits(\.fz)?$/i.test(r.name)).length;
    this.setStatus(`Job “${job.name}” COMPLETED: ${pngs.length} PNG image${pngs.length === 1 ? '' : 's'}, ${stamps} FITS stamp${stamps === 1 ? '' : 's'}.`);
    const summary = job.summary ?? {};
    const facts = Object.entries(summary)
      .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
      .map(([k, v]) => `${k}: ${v}`)
      .join(' · ');
    if (facts) {
      this.gallery.appendChild(h('div', { className: 'deslab-gallery-summary' }, facts));
    }
    for (const r of pngs) {
      const img = h('img', { className: 'deslab-thumb', attrs: { alt: r.name, loading: 'lazy' } });
      img.src = this.host.fileUrl(r.path as string);
      this.gallery.appendChild(h('figure', { className: 'deslab-figure' }, img, h('figcaption', {}, r.name)));
    }
    if (!pngs.length) {
      this.gallery.appendChild(h('div', { className: 'deslab-message' }, 'This job made no PNG images (colour PNG was off, or no position was on the footprint).'));
    }
  }
}
