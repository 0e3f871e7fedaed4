/**
 * Keeps the user's job list fresh and tells listeners about job events.
 *
 * The list is polled (every `activeInterval` ms while a job is active, `idleInterval` ms
 * otherwise); the job service's events (a job ended, its results expire soon) come through a
 * long-poll on `/deslab/api/events`, resumed from the last event seen.
 */

import { ACTIVE_PHASES, DeslabAPI, IJob, IJobEvent } from './api';

export type JobsListener = (jobs: IJob[], error: string | null) => void;
export type EventListener = (event: IJobEvent, job: IJob | undefined) => void;

export interface IMonitorOptions {
  activeInterval?: number;
  idleInterval?: number;
  /** Seconds each events long-poll may wait on the server. */
  eventsTimeout?: number;
  /** Where the last event id seen is kept between sessions (e.g. localStorage). */
  storage?: Pick<Storage, 'getItem' | 'setItem'> | null;
}

const STORAGE_KEY = 'deslab:last-event-id';

export class JobsMonitor {
  jobs: IJob[] = [];
  error: string | null = null;
  private readonly listeners = new Set<JobsListener>();
  private readonly eventListeners = new Set<EventListener>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private lastEvent: number | null = null;
  private readonly opts: Required<Omit<IMonitorOptions, 'storage'>> & { storage: IMonitorOptions['storage'] };

  constructor(
    private readonly api: DeslabAPI,
    options: IMonitorOptions = {}
  ) {
    this.opts = {
      activeInterval: options.activeInterval ?? 2000,
      idleInterval: options.idleInterval ?? 15000,
      eventsTimeout: options.eventsTimeout ?? 20,
      storage: options.storage === undefined ? null : options.storage
    };
  }

  onChange(fn: JobsListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onEvent(fn: EventListener): () => void {
    this.eventListeners.add(fn);
    return () => this.eventListeners.delete(fn);
  }

  get hasActive(): boolean {
    return this.jobs.some(j => ACTIVE_PHASES.includes(j.phase));
  }

  find(id: string): IJob | undefined {
    return this.jobs.find(j => j.id === id);
  }

  /** Start polling the list and listening for events. */
  start(): void {
    if (!this.stopped) {
      return;
    }
    this.stopped = false;
    void this.refresh();
    void this.listen();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** Fetch the list now (and reschedule the next poll). */
  async refresh(): Promise<IJob[]> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    try {
      const { jobs } = await this.api.jobs();
      this.jobs = jobs;
      this.error = null;
    } catch (err) {
      this.error = (err as Error).message;
    }
    for (const fn of this.listeners) {
      fn(this.jobs, this.error);
    }
    if (!this.stopped) {
      const wait = this.error ? this.opts.idleInterval * 2 : this.hasActive ? this.opts.activeInterval : this.opts.idleInterval;
      this.timer = setTimeout(() => void this.refresh(), wait);
    }
    return this.jobs;
  }

  /** Put a job just returned by an action into the list at once. */
  upsert(job: IJob): void {
    const i = this.jobs.findIndex(j => j.id === job.id);
    if (i >= 0) {
      this.jobs[i] = job;
    } else {
      this.jobs = [job, ...this.jobs];
    }
    for (const fn of this.listeners) {
      fn(this.jobs, this.error);
    }
    if (ACTIVE_PHASES.includes(job.phase)) {
      void this.refresh();
    }
  }

  forget(id: string): void {
    this.jobs = this.jobs.filter(j => j.id !== id);
    for (const fn of this.listeners) {
      fn(this.jobs, this.error);
    }
  }

  /** Skip events from before this session (first run), or resume after the last one seen. */
  private async initialCursor(): Promise<number> {
    const stored = this.opts.storage?.getItem(STORAGE_KEY);
    if (stored && /^\d+$/.test(stored)) {
      return Number(stored);
    }
    let since = 0;
    for (let i = 0; i < 100; i++) {
      const page = await this.api.events(since, 0);
      if (!page.events.length || page.last_id <= since) {
        break;
      }
      since = page.last_id;
    }
    return since;
  }

  /** Handle one page of events (exposed for tests). */
  async handleEvents(events: IJobEvent[]): Promise<void> {
    if (!events.length) {
      return;
    }
    await this.refresh();
    for (const ev of events) {
      const job = this.find(ev.job_id);
      for (const fn of this.eventListeners) {
        fn(ev, job);
      }
      this.lastEvent = Math.max(this.lastEvent ?? 0, ev.id);
    }
    this.opts.storage?.setItem(STORAGE_KEY, String(this.lastEvent));
  }

  private async listen(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (this.lastEvent === null) {
          this.lastEvent = await this.initialCursor();
        }
        const page = await this.api.events(this.lastEvent, this.opts.eventsTimeout);
        failures = 0;
        await this.handleEvents(page.events);
        this.lastEvent = Math.max(this.lastEvent ?? 0, page.last_id);
      } catch {
        failures++;
        await new Promise(r => setTimeout(r, Math.min(60000, 2000 * 2 ** Math.min(failures, 5))));
      }
    }
  }
}
