/** The DES panel: four views (Query, Jobs, Cutouts, Footprint) behind a tab bar. */

import { Widget } from '@lumino/widgets';
import { DeslabAPI, IJob } from './api';
import { CutoutsView, ICutoutsViewHost } from './cutouts-view';
import { clear, h } from './dom';
import { FootprintView } from './footprint-view';
import { JobsMonitor } from './jobs-monitor';
import { IJobsViewHost, JobsView } from './jobs-view';
import { QueryView } from './query-view';
import { ISqlEditor } from './sql-editor';

export type ViewName = 'query' | 'jobs' | 'cutouts' | 'footprint';
export const VIEW_TITLES: Record<ViewName, string> = {
  query: 'Query',
  jobs: 'Jobs',
  cutouts: 'Cutouts',
  footprint: 'Footprint'
};

export interface IPanelOptions {
  api: DeslabAPI;
  monitor: JobsMonitor;
  editor: ISqlEditor;
  host: IJobsViewHost & ICutoutsViewHost;
}

export class DeslabPanel extends Widget {
  readonly query: QueryView;
  readonly jobs: JobsView;
  readonly cutouts: CutoutsView;
  readonly footprint: FootprintView;
  private readonly tabs: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private current: ViewName = 'query';
  private loaded = new Set<ViewName>();

  constructor(private readonly options: IPanelOptions) {
    super();
    this.addClass('deslab-panel');
    const { api, monitor, editor } = options;
    const host: IJobsViewHost & ICutoutsViewHost = {
      ...options.host,
      openFolder: p => options.host.openFolder(p),
      insertCell: (j, f) => options.host.insertCell(j, f),
      confirm: (t, b) => options.host.confirm(t, b),
      fileUrl: p => options.host.fileUrl(p),
      showGallery: (job: IJob) => {
        this.cutouts.show(job);
        this.showView('cutouts');
      }
    };
    this.query = new QueryView({
      api,
      editor,
      onSubmitted: job => monitor.upsert(job)
    });
    this.jobs = new JobsView(api, monitor, host);
    this.cutouts = new CutoutsView(api, monitor, host);
    this.footprint = new FootprintView(api);
    this.tabs = h('div', { className: 'deslab-tabs', attrs: { role: 'tablist' } });
    this.body = h('div', { className: 'deslab-body' });
    this.node.append(h('div', { className: 'deslab-header' }, h('span', { className: 'deslab-title' }, 'DES'), this.tabs), this.body);
    this.showView('query');
  }

  get currentView(): ViewName {
    return this.current;
  }

  showView(name: ViewName): void {
    this.current = name;
    clear(this.tabs);
    for (const v of Object.keys(VIEW_TITLES) as ViewName[]) {
      const tab = h(
        'button',
        {
          className: `deslab-tab${v === name ? ' deslab-tab-active' : ''}`,
          attrs: { role: 'tab', 'aria-selected': String(v === name) },
          dataset: { view: v },
          on: { click: () => this.showView(v) }
        },
        VIEW_TITLES[v]
      );
      this.tabs.appendChild(tab);
    }
    clear(this.body);
    const view = { query: this.query, jobs: this.jobs, cutouts: this.cutouts, footprint: this.footprint }[name];
    this.body.appendChild(view.node);
    if (!this.loaded.has(name)) {
      this.loaded.add(name);
      if (name === 'query') {
        void this.query.loadSchema();
      } else if (name === 'footprint') {
        void this.footprint.load();
      } else if (name === 'jobs') {
        void this.options.monitor.refresh();
      }
    }
  }
}
