/** The Query view: SQL editor, examples, quick query into the grid, submit as a job. */

import { APIError, DeslabAPI, IJob } from './api';
import { COMPRESSIONS, DEFAULT_FORMAT, NAME_MAX_CHARS, QUERY_FORMATS } from './contract';
import { button, field, h, input, select } from './dom';
import { EXAMPLES } from './examples';
import { ResultGrid } from './grid';
import { SchemaBrowser } from './schema-browser';
import { ISqlEditor } from './sql-editor';

const FORMAT_LABELS: Record<string, string> = {
  fits: 'FITS',
  csv: 'CSV',
  ecsv: 'ECSV',
  hdf5: 'HDF5',
  parquet: 'Parquet',
  votable: 'VOTable'
};

export const FORMATS: Array<[string, string]> = QUERY_FORMATS.map(f => [f, FORMAT_LABELS[f] ?? f]);

/** Compressions each format supports (the job contract's). */
export { COMPRESSIONS };

export interface IQueryViewOptions {
  api: DeslabAPI;
  editor: ISqlEditor;
  /** Called with each job submitted from this view. */
  onSubmitted?: (job: IJob) => void;
  /** Rows fetched by a quick query. */
  limit?: number;
}

export class QueryView {
  readonly node: HTMLDivElement;
  readonly grid = new ResultGrid(50);
  readonly schema: SchemaBrowser;
  readonly status: HTMLDivElement;
  readonly examples: HTMLSelectElement;
  readonly format: HTMLSelectElement;
  readonly compression: HTMLSelectElement;
  readonly jobName: HTMLInputElement;
  readonly runButton: HTMLButtonElement;
  readonly submitButton: HTMLButtonElement;
  private readonly api: DeslabAPI;
  private readonly editor: ISqlEditor;
  private running = false;

  constructor(private readonly options: IQueryViewOptions) {
    this.api = options.api;
    this.editor = options.editor;
    this.schema = new SchemaBrowser(name => this.editor.insert(name));
    this.examples = select([['', 'Examples…'], ...EXAMPLES.map((e, i): [string, string] => [String(i), e.title])], '', {
      className: 'deslab-examples',
      title: 'Replace the SQL with an example query'
    });
    this.examples.addEventListener('change', () => {
      const e = EXAMPLES[Number(this.examples.value)];
      if (this.examples.value !== '' && e) {
        this.editor.setValue(e.sql);
      }
      this.examples.value = '';
    });
    this.runButton = button('Run', () => void this.run(), {
      className: 'deslab-run jp-mod-accept',
      title: 'Run as a quick query (Shift+Enter)'
    });
    this.format = select(FORMATS, DEFAULT_FORMAT, { className: 'deslab-format' });
    this.compression = select([['', 'none']], '', { className: 'deslab-compression' });
    this.format.addEventListener('change', () => this.updateCompressions());
    this.jobName = input('text', '', { className: 'deslab-job-name', attrs: { placeholder: 'job name (optional)', maxlength: String(NAME_MAX_CHARS) } });
    this.submitButton = button('Submit job', () => void this.submit(), {
      className: 'deslab-submit',
      title: 'Run the whole query as a job that writes a file under ~/jobs/'
    });
    this.status = h('div', { className: 'deslab-status', attrs: { role: 'status' } });
    const details = h(
      'details',
      { className: 'deslab-schema-details' },
      h('summary', {}, 'Tables and columns'),
      this.schema.node
    );
    details.open = false;
    this.node = h(
      'div',
      { className: 'deslab-view deslab-query-view' },
      h('div', { className: 'deslab-toolbar' }, this.runButton, this.examples),
      this.editor.node,
      h(
        'div',
        { className: 'deslab-toolbar deslab-job-form' },
        field('Format', this.format),
        field('Compression', this.compression),
        field('Name', this.jobName),
        this.submitButton
      ),
      this.status,
      this.grid.node,
      details
    );
    this.updateCompressions();
  }

  /** Load the schema (for the browser and the completion). */
  async loadSchema(): Promise<void> {
    try {
      const { tables } = await this.api.schema();
      this.schema.setTables(tables);
      this.editor.setTables(tables);
    } catch (err) {
      this.schema.setMessage(`The catalog's tables could not be listed: ${(err as Error).message}`);
    }
  }

  private updateCompressions(): void {
    const choices = COMPRESSIONS[this.format.value] ?? [];
    while (this.compression.firstChild) {
      this.compression.removeChild(this.compression.firstChild);
    }
    for (const [v, label] of [['', 'none'], ...choices.map(c => [c, c])]) {
      const o = document.createElement('option');
      o.value = v;
      o.textContent = label;
      this.compression.appendChild(o);
    }
    this.compression.value = '';
    this.compression.disabled = choices.length === 0;
  }

  setStatus(text: string, kind: 'info' | 'error' | 'busy' = 'info'): void {
    this.status.textContent = text;
    this.status.className = `deslab-status deslab-status-${kind}`;
  }

  /** Run the editor's SQL as a quick query and show the rows. */
  async run(): Promise<void> {
    const sql = this.editor.getValue().trim();
    if (!sql) {
      this.setStatus('Write a query first (or pick one from Examples).', 'error');
      return;
    }
    if (this.running) {
      return;
    }
    this.running = true;
    this.runButton.disabled = true;
    this.setStatus('Running…', 'busy');
    try {
      const result = await this.api.query(sql, { limit: this.options.limit ?? 1000 });
      this.setStatus('');
      this.grid.show(result);
    } catch (err) {
      this.grid.clear();
      this.setStatus(err instanceof APIError ? err.message : String(err), 'error');
    } finally {
      this.running = false;
      this.runButton.disabled = false;
    }
  }

  /** Submit the editor's SQL as a query job. */
  async submit(): Promise<IJob | null> {
    const sql = this.editor.getValue().trim();
    if (!sql) {
      this.setStatus('Write a query first (or pick one from Examples).', 'error');
      return null;
    }
    this.submitButton.disabled = true;
    try {
      const job = await this.api.submitQuery({
        sql,
        format: this.format.value,
        compression: this.compression.value || null,
        name: this.jobName.value.trim() || undefined
      });
      this.setStatus(`Submitted job “${job.name}” (${job.phase}); follow it in Jobs.`);
      this.options.onSubmitted?.(job);
      return job;
    } catch (err) {
      this.setStatus(err instanceof APIError ? err.message : String(err), 'error');
      return null;
    } finally {
      this.submitButton.disabled = false;
    }
  }
}
