/**
 * `npm run build` embeds the Event Log page in the events-api bundle: the
 * deployed function serves the page built at build time and carries no
 * esbuild, and two builds of the same sources are the same bytes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildFunction, ROOT } from '../../scripts/build';
import { bundleEventLogPage } from '../../web/event-log/bundle';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'embed-page-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('bundles the page built now into the events-api function, deterministically and without esbuild', async () => {
  const entry = path.join(ROOT, 'functions', 'events-api', 'index.ts');
  const first = await buildFunction('events-api', entry, path.join(tmp, 'a'));
  const second = await buildFunction('events-api', entry, path.join(tmp, 'b'));
  expect(second.archiveSha256).toBe(first.archiveSha256);

  const bundle = readFileSync(path.join(first.dir, 'index.js'), 'utf8');
  const page = await bundleEventLogPage();
  for (const file of Object.keys(page.assets)) expect(bundle).toContain(file);
  expect(bundle).toContain('<title>Event Log</title>');
  expect(bundle).not.toMatch(/require\("esbuild"\)|esbuild\/lib/);
  expect(Object.keys(first.dependencies)).toEqual(['@google-cloud/functions-framework']);
}, 120_000);
