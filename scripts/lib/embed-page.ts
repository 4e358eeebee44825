/**
 * An esbuild plugin for `npm run build`: in the events-api bundle,
 * shared/events-api/page-assets.ts (which bundles the Event Log page with
 * esbuild on first use) is replaced by a module holding the page already
 * built, so the deployed function serves it without esbuild. The page is
 * built once per build, deterministically (web/event-log/bundle.ts).
 */
import path from 'node:path';
import type { Plugin } from 'esbuild';
import { bundleEventLogPage } from '../../web/event-log/bundle';

const PAGE_ASSETS = path.resolve(__dirname, '..', '..', 'shared', 'events-api', 'page-assets.ts');

export function embedPage(): Plugin {
  return {
    name: 'embed-event-log-page',
    setup(b) {
      b.onResolve({ filter: /[/\\]page-assets$/ }, (args) => {
        const file = path.resolve(args.resolveDir, `${args.path}.ts`);
        return file === PAGE_ASSETS ? { path: file, namespace: 'embedded-page' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'embedded-page' }, async () => ({
        contents: `const built = ${JSON.stringify(await bundleEventLogPage())};\nexport const pageAssets = () => Promise.resolve(built);\n`,
        loader: 'js',
      }));
    },
  };
}
