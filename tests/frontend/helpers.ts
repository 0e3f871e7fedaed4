// Shared helpers of the frontend unit tests: a scripted Fetcher and sample records.
import { DeslabAPI, Fetcher, IJob, IQueryResult, ITableInfo } from '../../extensions/deslab/src/api';

export interface ICall {
  path: string;
  method: string;
  body: any;
}

/** A Fetcher that answers from a table of handlers and records every call. */
export function scripted(routes: Record<string, (call: ICall) => [number, unknown]>): { api: DeslabAPI; calls: ICall[] } {
  const calls: ICall[] = [];
  const fetcher: Fetcher = async (path, init) => {
    const call = { path, method: init.method ?? 'GET', body: init.body ? JSON.parse(String(init.body)) : undefined };
    calls.push(call);
    const key = Object.keys(routes).find(k => {
      const [m, p] = k.split(' ');
      return m === call.method && new RegExp(`^${p}$`).test(path.split('?')[0]);
    });
    if (!key) {
      return new Response(JSON.stringify({ message: `no route for ${call.method} ${path}` }), { status: 404 });
    }
    const [status, data] = routes[key](call);
    return new Response(status === 204 ? null : JSON.stringify(data), { status });
  };
  return { api: new DeslabAPI(fetcher), calls };
}

export const EVIL = '<img src=x onerror="window.__pwned=1">';

export function job(overrides: Partial<IJob> = {}): IJob {
  return {
    id: 'a'.repeat(32),
    owner: 'alice',
    type: 'query',
    name: 'my job',
    phase: 'COMPLETED',
    created: '2026-01-01T10:00:00Z',
    started: '2026-01-01T10:00:01Z',
    ended: '2026-01-01T10:00:05Z',
    duration: 4,
    destruction: new Date(Date.now() + 14 * 86400e3).toISOString(),
    progress: 1,
    progress_message: '',
    error: null,
    summary: { rows: 10 },
    results: [{ name: 'result.fits', size: 2880, path: `jobs/${'a'.repeat(32)}/result.fits` }],
    results_bytes: 2880,
    dir: `jobs/${'a'.repeat(32)}`,
    parameters: {},
    ...overrides
  };
}

export function result(n: number, extra: Partial<IQueryResult> = {}): IQueryResult {
  return {
    columns: [
      { name: 'ID', type: 'int64', unit: '', description: 'object id' },
      { name: 'RA', type: 'float64', unit: 'deg', description: 'right ascension' },
      { name: 'NAME', type: 'str', unit: '', description: '' }
    ],
    rows: Array.from({ length: n }, (_, i) => [i, i * 0.5, i === 0 ? EVIL : `obj${i}`]),
    row_count: n,
    truncated: false,
    limit: 1000,
    seconds: 0.25,
    ...extra
  };
}

export const TABLES: ITableInfo[] = [
  {
    name: 'DR2_MAIN',
    rows: 100000,
    description: 'main catalog',
    columns: [
      { name: 'RA', type: 'DOUBLE', unit: 'deg', description: 'right ascension' },
      { name: 'DEC', type: 'DOUBLE', unit: 'deg', description: 'declination' },
      { name: 'MAG_AUTO_G', type: 'FLOAT', unit: 'mag', description: EVIL }
    ]
  },
  {
    name: 'DR2_TILE_INFO',
    rows: 250,
    description: 'tiles',
    columns: [{ name: 'TILENAME', type: 'VARCHAR', unit: '', description: 'tile name' }]
  }
];

/** A textarea standing in for the CodeMirror editor in view tests. */
export function textEditor() {
  const node = document.createElement('textarea');
  let tables: ITableInfo[] = [];
  return {
    node,
    getValue: () => node.value,
    setValue: (t: string) => {
      node.value = t;
    },
    insert: (t: string) => {
      node.value += t;
    },
    setTables: (t: ITableInfo[]) => {
      tables = t;
    },
    get tables() {
      return tables;
    },
    focus: () => undefined
  };
}

export const flush = () => new Promise(r => setTimeout(r, 0));
