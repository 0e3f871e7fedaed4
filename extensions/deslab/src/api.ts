/**
 * The client of the server extension's REST API under `/deslab/api/`.
 *
 * It takes a `Fetcher` (in the lab: `ServerConnection.makeRequest`, which adds the XSRF
 * token and the session's credentials), so it carries no credential of its own.
 */

export interface IColumn {
  name: string;
  type: string;
  unit: string;
  description: string;
}

export interface IQueryResult {
  columns: IColumn[];
  rows: unknown[][];
  row_count: number;
  truncated: boolean;
  limit: number;
  seconds: number;
}

export interface ITableInfo {
  name: string;
  rows: number | null;
  description: string;
  columns: IColumn[];
}

export interface IResultFile {
  name: string;
  size: number;
  /** Path relative to the Jupyter server's root (null: outside it). */
  path: string | null;
}

export type Phase = 'PENDING' | 'QUEUED' | 'EXECUTING' | 'COMPLETED' | 'ERROR' | 'ABORTED';
export const ACTIVE_PHASES: Phase[] = ['PENDING', 'QUEUED', 'EXECUTING'];
export const FINAL_PHASES: Phase[] = ['COMPLETED', 'ERROR', 'ABORTED'];

export interface IJob {
  id: string;
  owner: string;
  type: string;
  name: string;
  phase: Phase;
  created: string;
  started: string | null;
  ended: string | null;
  duration: number | null;
  destruction: string;
  progress: number;
  progress_message: string;
  error: string | null;
  summary: Record<string, unknown> | null;
  results: IResultFile[];
  results_bytes: number;
  /** The job's directory relative to the Jupyter server's root (null: outside it). */
  dir: string | null;
  parameters: Record<string, unknown>;
}

export interface IJobEvent {
  id: number;
  job_id: string;
  kind: 'phase' | 'expiring' | 'expired' | string;
  phase: Phase | null;
  message: string;
  created: string;
}

export interface ITile {
  name: string;
  ra: number;
  dec: number;
  crossra0: boolean;
  corners: Array<[number, number]>;
}

export interface ISearchResult {
  query: string;
  kind: 'position' | 'tile';
  ra: number;
  dec: number;
  tiles: Array<{ name: string; ra: number; dec: number; edge_distance: number | null }>;
  message: string;
}

export interface IQueryJobRequest {
  sql: string;
  name?: string;
  format?: string;
  compression?: string | null;
  output?: string;
}

export interface ICutoutJobRequest {
  positions: string | Array<[number, number]>;
  name?: string;
  xsize?: number;
  ysize?: number;
  bands?: string;
  rgb?: boolean;
  rgb_bands?: string;
  rgb_stretch?: number;
  rgb_q?: number;
  rgb_minimum?: number;
}

/** An error answered by the server, with its user-facing message. */
export class APIError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'APIError';
  }
}

/** Sends a request to `path` (relative to `deslab/api/`). */
export type Fetcher = (path: string, init: RequestInit) => Promise<Response>;

function q(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

export class DeslabAPI {
  constructor(private readonly fetcher: Fetcher) {}

  async request<T>(path: string, init: RequestInit = {}): Promise<T> {
    let response: Response;
    try {
      response = await this.fetcher(path, init);
    } catch (err) {
      throw new APIError(`the Jupyter server did not answer (${String((err as Error)?.message ?? err)})`, 0);
    }
    if (response.status === 204) {
      return undefined as T;
    }
    const text = await response.text();
    let data: any = undefined;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (!response.ok) {
      const message =
        data && typeof data.message === 'string' && data.message
          ? data.message
          : `the server answered ${response.status} ${response.statusText}`;
      throw new APIError(message, response.status);
    }
    return data as T;
  }

  private json<T>(method: string, path: string, body: unknown): Promise<T> {
    return this.request<T>(path, {
      method,
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' }
    });
  }

  query(sql: string, options: { limit?: number; timeout?: number } = {}): Promise<IQueryResult> {
    return this.json('POST', 'query', { sql, ...options });
  }

  schema(): Promise<{ tables: ITableInfo[] }> {
    return this.request('schema');
  }

  describeTable(name: string): Promise<ITableInfo> {
    return this.request(`tables/${encodeURIComponent(name)}`);
  }

  footprint(): Promise<{ tiles: ITile[] }> {
    return this.request('footprint');
  }

  search(text: string): Promise<ISearchResult> {
    return this.request(`footprint/search${q({ q: text })}`);
  }

  jobs(options: { limit?: number; phase?: string; type?: string } = {}): Promise<{ jobs: IJob[]; total: number }> {
    return this.request(`jobs${q({ limit: options.limit ?? 200, phase: options.phase, type: options.type })}`);
  }

  job(id: string): Promise<IJob> {
    return this.request(`jobs/${encodeURIComponent(id)}`);
  }

  submitQuery(request: IQueryJobRequest): Promise<IJob> {
    return this.json('POST', 'jobs', { type: 'query', ...request });
  }

  submitCutouts(request: ICutoutJobRequest): Promise<IJob> {
    return this.json('POST', 'jobs', { type: 'cutout', ...request });
  }

  cancel(id: string): Promise<IJob> {
    return this.json('POST', `jobs/${encodeURIComponent(id)}/cancel`, {});
  }

  remove(id: string): Promise<void> {
    return this.request(`jobs/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  rename(id: string, name: string): Promise<IJob> {
    return this.json('PATCH', `jobs/${encodeURIComponent(id)}`, { name });
  }

  renew(id: string, days: number): Promise<IJob> {
    return this.json('PATCH', `jobs/${encodeURIComponent(id)}`, { lifetime_days: days });
  }

  events(since: number, timeout: number): Promise<{ events: IJobEvent[]; last_id: number }> {
    return this.request(`events${q({ since, timeout })}`);
  }

  limits(): Promise<Record<string, unknown>> {
    return this.request('limits');
  }
}
