/**
 * The Event Log page's files (web/event-log/), built on first use. From
 * source (the local stack, tests) they are bundled by esbuild when first
 * asked for; `npm run build` replaces this module in the events-api bundle
 * with one that returns the same files built at build time
 * (scripts/build.ts, embedPage), so the deployed function needs no esbuild.
 */
export interface PageAsset {
  /** Content-Type. */
  type: string;
  body: string;
}

export interface PageAssets {
  /** index.html, naming the assets below. */
  html: string;
  /** By file name under /assets/ (names carry a content hash). */
  assets: Record<string, PageAsset>;
}

let built: Promise<PageAssets> | undefined;

export function pageAssets(): Promise<PageAssets> {
  built ??= import('../../web/event-log/bundle').then((m) => m.bundleEventLogPage());
  // A failed build is not cached: the next request tries again (a syntax error being fixed, say).
  built.catch(() => (built = undefined));
  return built;
}
