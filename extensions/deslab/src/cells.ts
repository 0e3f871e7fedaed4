/** The notebook code that loads a job's result file. */

/** `path` relative to the directory `fromDir` (both relative to the server root). */
export function relativePath(fromDir: string, path: string): string {
  const a = fromDir.split('/').filter(Boolean);
  const b = path.split('/').filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length - 1 && a[i] === b[i]) {
    i++;
  }
  return [...a.slice(i).map(() => '..'), ...b.slice(i)].join('/');
}

/** The astropy call that reads a result file, by its extension. */
export function readerFor(name: string): string {
  const n = name.toLowerCase();
  if (n.endsWith('.ecsv') || n.endsWith('.ecsv.gz')) {
    return 'format="ascii.ecsv"'; // types, units and provenance in the header
  }
  if (n.endsWith('.csv') || n.endsWith('.csv.gz')) {
    return 'format="ascii.csv"'; // plain CSV: one header row, then rows
  }
  if (n.endsWith('.parquet') || n.endsWith('.pq')) {
    return 'format="parquet"';
  }
  if (n.endsWith('.h5') || n.endsWith('.hdf5') || n.endsWith('.hdf')) {
    return 'path="data"';
  }
  if (n.endsWith('.vot') || n.endsWith('.xml') || n.endsWith('.votable')) {
    return 'format="votable"';
  }
  return '';
}

/** A Python string literal (JSON's string syntax is valid Python). */
function pyString(s: string): string {
  return JSON.stringify(s);
}

/** Code for a notebook cell that loads `resultPath` into an astropy Table. */
export function loadResultCode(resultPath: string, notebookDir: string, jobName: string): string {
  const rel = relativePath(notebookDir, resultPath);
  const extra = readerFor(resultPath);
  const comment = jobName.replace(/[\r\n]+/g, ' ').slice(0, 80);
  return [
    `# result of the DES job ${pyString(comment)}`,
    'from astropy.table import Table',
    '',
    `result = Table.read(${pyString(rel)}${extra ? ', ' + extra : ''})`,
    'result'
  ].join('\n');
}
