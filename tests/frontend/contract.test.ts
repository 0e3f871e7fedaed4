// The panel's constants agree with the job contract the service validates against.
import contract from '../../hub/deslab_hub/jobs/contract.json';
import * as c from '../../extensions/deslab/src/contract';
import { FORMATS } from '../../extensions/deslab/src/query-view';

describe('the panel and the job contract', () => {
  it('offers the query formats and compressions of the contract', () => {
    const formats = contract.query.formats as Record<string, { compressions: string[] }>;
    expect(c.QUERY_FORMATS).toEqual(Object.keys(formats));
    expect(FORMATS.map(f => f[0])).toEqual(Object.keys(formats));
    expect(c.DEFAULT_FORMAT).toBe(contract.query.default_format);
    for (const [name, spec] of Object.entries(formats)) {
      expect(c.COMPRESSIONS[name]).toEqual(spec.compressions);
    }
  });

  it('uses the contract cutout bands, sizes and caps', () => {
    expect(c.BANDS.join('')).toBe(contract.cutout.bands);
    expect(c.DEFAULT_BANDS).toBe(contract.cutout.default_bands);
    expect(c.MIN_SIZE_ARCMIN).toBe(contract.cutout.min_size_arcmin);
    expect(c.DEFAULT_SIZE_ARCMIN).toBe(contract.cutout.default_size_arcmin);
    expect(c.MAX_SIZE_ARCMIN).toBe(contract.cutout.max_size_arcmin);
    expect(c.MAX_POSITIONS_BYTES).toBe(contract.cutout.max_positions_bytes);
    expect(c.NAME_MAX_CHARS).toBe(contract.common.name_max_chars);
  });
});
