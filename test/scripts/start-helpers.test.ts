/** npm start helpers: stale dist/ detection, which functions --watch restarts, the loopback preload, Firestore exports (--persist). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { latestFirestoreExport } from '../../scripts/lib/emulators';
import { LOOPBACK_PRELOAD } from '../../scripts/lib/functions';
import { affectedFunctions, functionInputs, staleBundles, staleBundleWarning } from '../../scripts/lib/sources';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'convotic-scripts-'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}
const at = (root: string, file: string, seconds: number) => utimesSync(path.join(root, file), seconds, seconds);

describe('stale dist/ (npm start -- --dist)', () => {
  it('names the bundles built before the newest source; a missing bundle is not stale', () => {
    expect(staleBundles({ a: 100, b: 300, c: undefined }, 200)).toEqual(['a']);
    expect(staleBundles({ a: 300 }, 200)).toEqual([]);
  });

  it('warns when a source changed after the build, naming it', () => {
    const root = tree({
      'functions/fn-a/index.ts': 'export {};',
      'shared/x.ts': 'export const x = 1;',
      'shared/x.test.ts': '',
      'dist/fn-a/index.js': '',
    });
    at(root, 'functions/fn-a/index.ts', 1_000);
    at(root, 'shared/x.ts', 2_000);
    at(root, 'dist/fn-a/index.js', 3_000);
    at(root, 'shared/x.test.ts', 4_000); // tests are not bundled
    expect(staleBundleWarning(['fn-a'], root)).toBeUndefined();
    at(root, 'shared/x.ts', 5_000);
    expect(staleBundleWarning(['fn-a'], root)).toMatch(
      /^WARNING: dist\/ is older than the sources \(every bundle; newest source: shared\/x\.ts/,
    );
    expect(staleBundleWarning(['fn-a'], root)).toContain('Run `npm run build` first');
  });
});

describe('--watch restarts only the functions built from a changed file', () => {
  const root = tree({
    'functions/fn-a/index.ts': "import { a } from '../../shared/a';\nexport const fa = a;",
    'functions/fn-b/index.ts': "import { b } from '../../shared/b';\nexport const fb = b;",
    'shared/a.ts': "import { common } from './common';\nexport const a = common + 1;",
    'shared/b.ts': "import { common } from './common';\nexport const b = common + 2;",
    'shared/common.ts': 'export const common = 1;',
    'shared/unused.ts': 'export const unused = 1;',
  });
  const p = (f: string) => path.join(root, f);

  it('follows imports through shared/', async () => {
    const inputs = await functionInputs(['fn-a', 'fn-b'], root);
    const names = ['fn-a', 'fn-b'];
    expect(affectedFunctions([p('shared/a.ts')], inputs, names, root)).toEqual(['fn-a']);
    expect(affectedFunctions([p('shared/common.ts')], inputs, names, root)).toEqual(['fn-a', 'fn-b']);
    expect(affectedFunctions([p('functions/fn-b/index.ts')], inputs, names, root)).toEqual(['fn-b']);
    expect(affectedFunctions([p('shared/unused.ts')], inputs, names, root)).toEqual([]);
  });

  it('keeps the last known inputs of a function that no longer parses, and falls back to its folder when none', async () => {
    const previous = await functionInputs(['fn-a'], root);
    writeFileSync(p('functions/fn-a/index.ts'), 'export const = ;');
    const now = await functionInputs(['fn-a'], root, previous);
    expect(now.get('fn-a')).toEqual(previous.get('fn-a'));
    expect(affectedFunctions([p('functions/fn-a/index.ts')], new Map(), ['fn-a'], root)).toEqual(['fn-a']);
  });
});

describe('functions listen on 127.0.0.1 (loopback.cjs)', () => {
  it('gives a listen call without a host the loopback address, and leaves one with a host alone', () => {
    const script = `
      const http = require('node:http');
      const a = http.createServer().listen(0, () => {
        const b = http.createServer().listen(0, '0.0.0.0', () => {
          console.log(JSON.stringify([a.address().address, b.address().address]));
          a.close(); b.close();
        });
      });`;
    const out = spawnSync(process.execPath, ['--require', LOOPBACK_PRELOAD, '-e', script], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toEqual(['127.0.0.1', '0.0.0.0']);
  });
});

describe('Firestore exports kept by --persist', () => {
  it('finds the newest complete export', () => {
    const root = tree({
      'firestore_export_100/firestore_export_100.overall_export_metadata': '',
      'firestore_export_200/firestore_export_200.overall_export_metadata': '',
      'firestore_export_300/partial': '',
    });
    expect(latestFirestoreExport(root)).toBe(path.join(root, 'firestore_export_200', 'firestore_export_200.overall_export_metadata'));
    expect(latestFirestoreExport(path.join(root, 'nothing'))).toBeUndefined();
  });
});
