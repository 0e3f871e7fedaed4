/**
 * The facts of the job contract the panel uses (hub/deslab_hub/jobs/contract.json, beside the
 * job service's openapi.yaml). The service validates every request against the contract
 * itself; tests/frontend/contract.test.ts fails when these constants disagree with it.
 */

/** Query result formats and the compressions each can write ('' is none). */
export const QUERY_FORMATS = ['fits', 'csv', 'ecsv', 'hdf5', 'parquet', 'votable'];
export const DEFAULT_FORMAT = 'fits';
export const COMPRESSIONS: Record<string, string[]> = {
  fits: [],
  csv: ['gzip'],
  ecsv: ['gzip'],
  hdf5: ['gzip', 'lzf'],
  parquet: ['snappy', 'zstd', 'gzip', 'brotli', 'lz4', 'none'],
  votable: []
};

/** Cutout bands in wavelength order, the default choice, and stamp sizes in arcmin. */
export const BANDS = ['g', 'r', 'i', 'z', 'Y'];
export const DEFAULT_BANDS = 'gri';
export const MIN_SIZE_ARCMIN = 0.1;
export const DEFAULT_SIZE_ARCMIN = 1.0;
export const MAX_SIZE_ARCMIN = 12;
/** The largest positions text (or CSV file) a cutout job takes. */
export const MAX_POSITIONS_BYTES = 5_000_000;

/** The longest job name. */
export const NAME_MAX_CHARS = 200;
