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
import { EVENT_TYPE_NAMES } from '../../shared/envelope/event-types';
import type { PageAssets } from '../../shared/events-api/page-assets';
import { INTERNAL_SOURCE, PLATFORMS } from '../../shared/platforms';

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

// Names are [a-z_.] by the registries' own rules; escaped all the same, as any text put into markup.
const escape = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The Platform filters' choices after "any": every platform of shared/platforms, so adding one touches one
 * place. The events list also has the internal source (events no webhook carried); unrouted items never do.
 */
export function platformOptions(view: 'events' | 'unrouted'): string {
  const names = view === 'events' ? [...PLATFORMS, INTERNAL_SOURCE] : PLATFORMS;
  return names.map((v) => `<option>${escape(v)}</option>`).join('');
}

/** The Type filter's suggestions: each domain and entity as a prefix (`messaging.*`), then every type. */
export function typeOptions(): string {
  const prefixes = new Set<string>();
  for (const name of EVENT_TYPE_NAMES) {
    const parts = name.split('.');
    prefixes.add(`${parts[0]}.*`);
    if (parts.length > 2) prefixes.add(`${parts.slice(0, 2).join('.')}.*`);
  }
  return [...[...prefixes].sort(), ...EVENT_TYPE_NAMES].map((v) => `<option value="${escape(v)}"></option>`).join('');
}

const hashed = (stem: string, ext: string, text: string) =>
  `${stem}.${createHash('sha256').update(text).digest('hex').slice(0, 12)}.${ext}`;

export async function bundleEventLogPage(): Promise<PageAssets> {
  const [script, style] = await Promise.all([bundle('main.ts'), bundle('style.css')]);
  const scriptName = hashed('event-log', 'js', script);
  const styleName = hashed('event-log', 'css', style);
  const html = readFileSync(path.join(DIR, 'index.html'), 'utf8')
    .replace('%SCRIPT%', scriptName)
    .replace('%STYLE%', styleName)
    .replace('%TYPE_OPTIONS%', typeOptions())
    .replace('%EVENT_PLATFORM_OPTIONS%', platformOptions('events'))
    .replace('%UNROUTED_PLATFORM_OPTIONS%', platformOptions('unrouted'));
  return {
    html,
    assets: {
      [scriptName]: { type: 'text/javascript; charset=utf-8', body: script },
      [styleName]: { type: 'text/css; charset=utf-8', body: style },
    },
  };
}
