// vitest configuration of the lab extension's unit tests (run from extensions/deslab, see
// test_frontend_units.py). Plain object: this file lives outside the extension's node_modules,
// so the npm packages the tests import are resolved from there (their ES module builds, the
// same files the extension's sources get).
import { readFileSync } from 'node:fs';

const ext = new URL('../../extensions/deslab/', import.meta.url).pathname;

function esm(name) {
  const dir = `${ext}node_modules/${name}/`;
  const pkg = JSON.parse(readFileSync(`${dir}package.json`, 'utf8'));
  return dir + (pkg.module ?? pkg.main);
}

export default {
  cacheDir: `${ext}node_modules/.vite-tests`,
  resolve: {
    alias: {
      '@codemirror/autocomplete': esm('@codemirror/autocomplete'),
      '@codemirror/state': esm('@codemirror/state')
    }
  },
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['*.test.ts'],
    environment: 'happy-dom',
    globals: true,
    testTimeout: 20000
  }
};
