import { APIError } from '../../extensions/deslab/src/api';
import { scripted } from './helpers';

describe('DeslabAPI', () => {
  it('sends JSON and returns the answer', async () => {
    const { api, calls } = scripted({ 'POST query': c => [200, { rows: [[1]], echo: c.body }] });
    const r: any = await api.query('SELECT 1 FROM dual', { limit: 5 });
    expect(r.echo).toEqual({ sql: 'SELECT 1 FROM dual', limit: 5 });
    expect(calls[0].path).toBe('query');
  });

  it("raises the server's message with its status", async () => {
    const { api } = scripted({ 'POST query': () => [400, { message: 'unknown table DR2_MIAN: did you mean DR2_MAIN?' }] });
    await expect(api.query('SELECT * FROM DR2_MIAN')).rejects.toEqual(
      new APIError('unknown table DR2_MIAN: did you mean DR2_MAIN?', 400)
    );
  });

  it('encodes path and query parts', async () => {
    const { api, calls } = scripted({ 'GET footprint/search': () => [200, {}], 'PATCH jobs/.*': () => [200, {}] });
    await api.search('DES0000+0000');
    expect(calls[0].path).toBe('footprint/search?q=DES0000%2B0000');
    await api.rename('x/../y', 'n');
    expect(calls[1].path).toBe('jobs/x%2F..%2Fy');
    expect(calls[1].body).toEqual({ name: 'n' });
  });
});
