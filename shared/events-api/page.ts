/**
 * The Event Log page's routes: `GET /` (the page) and `GET /assets/{file}`
 * (its script and style), in the events API's route table. They hold no
 * data, so they need no caller token of their own (`public`, as
 * /openapi.json: a caller allowed one workspace can load the page too);
 * Cloud Run's invoker IAM still fronts them in production, and every
 * request the page makes is an API request with the API's own checks.
 */
import type { Response } from '@google-cloud/functions-framework';
import { notFound, type Route } from './http';
import { pageAssets as builtAssets, type PageAssets } from './page-assets';

/**
 * The page loads only its own script and style and talks only to this
 * origin; nothing may frame it. A rendering bug can then not become a script
 * injection, and the page cannot be clickjacked into a replay.
 */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** The HTML is revalidated on every load (it names the current assets); assets are named by their hash, so they never change. */
export const PAGE_CACHE = 'private, no-cache';
export const ASSET_CACHE = 'private, max-age=31536000, immutable';

function send(res: Response, type: string, cache: string, body: string): void {
  res
    .status(200)
    .set({ 'Content-Type': type, 'Cache-Control': cache, ...SECURITY_HEADERS })
    .send(body);
}

export function pageRoutes(assets: () => Promise<PageAssets> = builtAssets): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/',
      access: 'public',
      async handle(req, res) {
        // The route table ignores empty segments; `//` and the like are no page.
        if (req.path !== '/') throw notFound(`no route for ${req.path}`);
        send(res, 'text/html; charset=utf-8', PAGE_CACHE, (await assets()).html);
      },
    },
    {
      method: 'GET',
      pattern: '/assets/:file',
      access: 'public',
      async handle(_req, res, params) {
        const file = params.file ?? '';
        const { assets: files } = await assets();
        const asset = Object.hasOwn(files, file) ? files[file] : undefined;
        if (!asset) throw notFound(`no asset ${file}`);
        send(res, asset.type, ASSET_CACHE, asset.body);
      },
    },
  ];
}
