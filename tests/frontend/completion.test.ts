import { CompletionContext } from '@codemirror/autocomplete';
import { EditorState } from '@codemirror/state';
import { schemaCompletionSource, schemaOptions } from '../../extensions/deslab/src/completion';
import { TABLES } from './helpers';

function complete(doc: string, explicit = false) {
  const state = EditorState.create({ doc });
  const source = schemaCompletionSource(() => TABLES);
  return source(new CompletionContext(state, doc.length, explicit)) as any;
}

describe('table and column completion', () => {
  it('offers tables and all columns for a bare word', () => {
    const r = complete('SELECT RA FROM DR2_');
    const labels = r.options.map((o: any) => o.label);
    expect(labels).toEqual(expect.arrayContaining(['DR2_MAIN', 'DR2_TILE_INFO', 'RA', 'MAG_AUTO_G', 'TILENAME']));
    expect(r.from).toBe('SELECT RA FROM '.length);
  });

  it("offers a table's columns after TABLE.", () => {
    const r = complete('SELECT dr2_main.MAG');
    expect(r.options.map((o: any) => o.label)).toEqual(['RA', 'DEC', 'MAG_AUTO_G']);
    expect(r.from).toBe('SELECT dr2_main.'.length);
    expect(r.options[0].detail).toBe('DOUBLE [deg]');
  });

  it('stays quiet where nothing is typed unless asked', () => {
    expect(complete('SELECT ')).toBeNull();
    expect(complete('SELECT ', true).options.length).toBeGreaterThan(3);
    expect(complete('SELECT NOPE.x')).toBeNull();
  });

  it('deduplicates columns across tables', () => {
    const opts = schemaOptions([...TABLES, { ...TABLES[0], name: 'DR2_COPY' }]);
    expect(opts.filter(o => o.label === 'RA')).toHaveLength(1);
  });
});
