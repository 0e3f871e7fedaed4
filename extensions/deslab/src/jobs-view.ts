/** The Jobs view: the user's jobs, live, with cancel / delete / rename / renew and results. */

import { ACTIVE_PHASES, APIError, DeslabAPI, IJob, IResultFile } from './api';
import { NAME_MAX_CHARS } from './contract';
import { button, clear, h, input } from './dom';
import { formatBytes, formatDuration, formatTime, formatUntil } from './format';
import { JobsMonitor } from './jobs-monitor';

export interface IJobsViewHost {
  /** Show a job's folder in the file browser. */
  openFolder(path: string): void;
  /** Insert a notebook cell that loads a result file. */
  insertCell(job: IJob, file: IResultFile): void;
  /** Show a cutout job's gallery. */
  showGallery(job: IJob): void;
  /** Ask the user to confirm (a dialog in the lab). */
  confirm(title: string, body: string): Promise<boolean>;
}

/** Days added by "Renew". */
export const RENEW_DAYS = 14;

/** The data file of a job's results that a notebook should load. */
export function mainResult(job: IJob): IResultFile | undefined {
  const data = job.results.filter(r => !/\.(json|log|png|txt)$/i.test(r.name));
  return data[0];
}

export class JobsView {
  readonly node: HTMLDivElement;
  readonly status: HTMLDivElement;
  private readonly list: HTMLDivElement;
  private editing: string | null = null;

  constructor(
    private readonly api: DeslabAPI,
    private readonly monitor: JobsMonitor,
    private readonly host: IJobsViewHost
  ) {
    this.status = h('div', { className: 'deslab-status', attrs: { role: 'status' } });
    this.list = h('div', { className: 'deslab-jobs-list' });
    this.node = h(
      'div',
      { className: 'deslab-view deslab-jobs-view' },
      h('div', { className: 'deslab-toolbar' }, button('Refresh', () => void this.monitor.refresh(), { className: 'deslab-refresh' })),
      this.status,
      this.list
    );
    this.monitor.onChange((jobs, error) => this.render(jobs, error));
    this.render(this.monitor.jobs, this.monitor.error);
  }

  setStatus(text: string, kind: 'info' | 'error' = 'info'): void {
    this.status.textContent = text;
    this.status.className = `deslab-status deslab-status-${kind}`;
  }

  private async act(what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
      this.setStatus('');
    } catch (err) {
      this.setStatus(`${what}: ${err instanceof APIError ? err.message : String(err)}`, 'error');
    }
    await this.monitor.refresh();
  }

  cancel(job: IJob): Promise<void> {
    return this.act('Cancel failed', async () => this.monitor.upsert(await this.api.cancel(job.id)));
  }

  async remove(job: IJob): Promise<void> {
    const ok = await this.host.confirm('Delete job', `Delete “${job.name}” and its result files?`);
    if (!ok) {
      return;
    }
    await this.act('Delete failed', async () => {
      await this.api.remove(job.id);
      this.monitor.forget(job.id);
    });
  }

  rename(job: IJob, name: string): Promise<void> {
    this.editing = null;
    return this.act('Rename failed', async () => this.monitor.upsert(await this.api.rename(job.id, name)));
  }

  renew(job: IJob): Promise<void> {
    return this.act('Renew failed', async () => this.monitor.upsert(await this.api.renew(job.id, RENEW_DAYS)));
  }

  private nameCell(job: IJob): HTMLElement {
    if (this.editing === job.id) {
      const box = input('text', job.name, { className: 'deslab-rename-input', attrs: { maxlength: String(NAME_MAX_CHARS) } });
      box.addEventListener('keydown', ev => {
        if (ev.key === 'Enter') {
          void this.rename(job, box.value);
        } else if (ev.key === 'Escape') {
          this.editing = null;
          this.render(this.monitor.jobs, this.monitor.error);
        }
      });
      setTimeout(() => box.focus(), 0);
      return h('td', { className: 'deslab-job-name' }, box, button('OK', () => void this.rename(job, box.value), { className: 'deslab-rename-ok' }));
    }
    return h('td', { className: 'deslab-job-name', title: job.error ?? job.id }, job.name);
  }

  private actions(job: IJob): HTMLElement {
    const td = h('td', { className: 'deslab-job-actions' });
    const active = ACTIVE_PHASES.includes(job.phase);
    if (active) {
      td.appendChild(button('Cancel', () => void this.cancel(job), { className: 'deslab-cancel' }));
    }
    if (job.phase === 'COMPLETED' && job.dir) {
      td.appendChild(button('Open', () => this.host.openFolder(job.dir as string), { className: 'deslab-open', title: 'Show the result files in the file browser' }));
      const main = mainResult(job);
      if (main && job.type === 'query') {
        td.appendChild(button('Insert cell', () => this.host.insertCell(job, main), { className: 'deslab-insert', title: `Add a notebook cell that loads ${main.name}` }));
      }
      if (job.type === 'cutout') {
        td.appendChild(button('Gallery', () => this.host.showGallery(job), { className: 'deslab-gallery-button' }));
      }
    }
    td.appendChild(
      button('Rename', () => {
        this.editing = job.id;
        this.render(this.monitor.jobs, this.monitor.error);
      }, { className: 'deslab-rename' })
    );
    if (!active) {
      td.appendChild(button('Renew', () => void this.renew(job), { className: 'deslab-renew', title: `Keep the results ${RENEW_DAYS} more days` }));
    }
    td.appendChild(button('Delete', () => void this.remove(job), { className: 'deslab-delete' }));
    return td;
  }

  render(jobs: IJob[], error: string | null): void {
    clear(this.list);
    if (error) {
      this.list.appendChild(h('div', { className: 'deslab-message deslab-status-error' }, `The job service could not be reached: ${error}`));
    }
    if (!jobs.length) {
      if (!error) {
        this.list.appendChild(h('div', { className: 'deslab-message' }, 'No jobs yet: submit a query or a cutout job.'));
      }
      return;
    }
    const rows = jobs.map(job => {
      const phase = h('span', { className: `deslab-phase deslab-phase-${job.phase}` }, job.phase);
      const progress =
        job.phase === 'EXECUTING' && job.progress > 0 ? h('span', { className: 'deslab-progress' }, ` ${Math.round(job.progress * 100)}%`) : null;
      const tr = h(
        'tr',
        { dataset: { jobId: job.id, phase: job.phase } },
        this.nameCell(job),
        h('td', {}, job.type),
        h('td', { title: job.error ?? job.progress_message ?? '' }, phase, progress),
        h('td', {}, formatTime(job.created)),
        h('td', {}, formatDuration(job.duration)),
        h('td', { title: formatTime(job.destruction) }, formatUntil(job.destruction)),
        h('td', {}, job.results_bytes ? formatBytes(job.results_bytes) : ''),
        this.actions(job)
      );
      tr.className = 'deslab-job';
      return tr;
    });
    this.list.appendChild(
      h(
        'table',
        { className: 'deslab-table deslab-jobs' },
        h(
          'thead',
          {},
          h('tr', {}, ...['name', 'type', 'phase', 'created', 'duration', 'expires', 'size', ''].map(t => h('th', {}, t)))
        ),
        h('tbody', {}, ...rows)
      )
    );
    for (const job of jobs.filter(j => j.phase === 'ERROR' && j.error).slice(0, 3)) {
      this.list.appendChild(h('div', { className: 'deslab-message deslab-status-error' }, `${job.name}: ${job.error}`));
    }
  }
}
