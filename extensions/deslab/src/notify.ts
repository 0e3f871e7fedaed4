/** JupyterLab notifications for job events: completed, failed, aborted, about to expire. */

import { IJob, IJobEvent } from './api';

export interface INotifier {
  success(message: string, actions: INotifyAction[]): void;
  error(message: string, actions: INotifyAction[]): void;
  warning(message: string, actions: INotifyAction[]): void;
  info(message: string, actions: INotifyAction[]): void;
}

export interface INotifyAction {
  label: string;
  callback: () => void;
}

/** The notification for one event (plain text; the Notification API escapes it). */
export function describeEvent(ev: IJobEvent, job: IJob | undefined): { level: keyof INotifier; message: string } {
  const name = job?.name ? `“${job.name}”` : ev.job_id.slice(0, 8);
  const type = job?.type ? `${job.type} job` : 'job';
  if (ev.kind === 'phase') {
    if (ev.phase === 'COMPLETED') {
      return { level: 'success', message: `DES ${type} ${name} completed.` };
    }
    if (ev.phase === 'ERROR') {
      return { level: 'error', message: `DES ${type} ${name} failed${ev.message ? ': ' + ev.message : job?.error ? ': ' + job.error : '.'}` };
    }
    return { level: 'warning', message: `DES ${type} ${name} was aborted.` };
  }
  if (ev.kind === 'expiring') {
    return { level: 'warning', message: `DES ${type} ${name} expires soon${ev.message ? ': ' + ev.message : ''}. Renew it in the Jobs view to keep its results.` };
  }
  if (ev.kind === 'expired') {
    return { level: 'info', message: `DES ${type} ${name} expired; its results were removed.` };
  }
  return { level: 'info', message: `DES ${type} ${name}: ${ev.kind} ${ev.message}`.trim() };
}

export function notifyEvent(notifier: INotifier, ev: IJobEvent, job: IJob | undefined, actions: INotifyAction[]): void {
  const { level, message } = describeEvent(ev, job);
  notifier[level](message, actions);
}
