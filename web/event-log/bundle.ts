/**
 * Builds the Event Log page with esbuild, in memory: the script (main.ts and
 * what it imports) and the style, each named by a hash of its content (so
 * they can be cached for good), and index.html pointing at those names.
 * The local stack runs this on the page's first request; `npm run build`
 * runs it once and embeds the result in the events-api bundle. Same sources,
 * same bytes: nothing here depends on the time or the machine.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import type { PageAssets } from '../../shared/events-api/page-assets';

const DIR = __dirname;

async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [path.join(DIR, entry)],
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    target: ['chrome110', 'firefox110', 'safari16'],
    legalComments: 'none',
    logLevel: 'silent',
    absWorkingDir: DIR,
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error(`esbuild produced nothing for ${entry}`);
  return out.text;
}

const hashed = (stem: string, ext: string, text: string) =>
  `${stem}.${createHash('sha256').update(text).digest('hex').slice(0, 12)}.${ext}`;

export async function bundleEventLogPage(): Promise<PageAssets> {
  const [script, style] = await Promise.all([bundle('main.ts'), bundle('style.css')]);
  const scriptName = hashed('event-log', 'js', script);
  const styleName = hashed('event-log', 'css', style);
  const html = readFileSync(path.join(DIR, 'index.html'), 'utf8').replace('%SCRIPT%', scriptName).replace('%STYLE%', styleName);
  return {
    html,
    assets: {
      [scriptName]: { type: 'text/javascript; charset=utf-8', body: script },
      [styleName]: { type: 'text/css; charset=utf-8', body: style },
    },
  };
}
