/**
 * How the events API serves the Event Log page: the HTML revalidated on
 * every load, the assets it names cached for good under their content hash,
 * a Content-Security-Policy the page keeps (no inline script or style), and
 * JSON refusals for anything else under those paths.
 */
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { EVENT_TYPE_NAMES } from '../../shared/envelope/event-types';
import { createEventsApi } from '../../shared/events-api/app';
import { ASSET_CACHE, PAGE_CACHE } from '../../shared/events-api/page';
import { listen, request } from '../helpers/http-client';
import { isJsonError, requestBytes, sendRaw } from '../helpers/raw-http';

functions.http('eventLogPageRoutes', createEventsApi());

let base: string;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ baseUrl: base, close } = await listen(getTestServer('eventLogPageRoutes')));
});
afterAll(() => close());

it('serves the page at / with its script and style, each cached as it should be', async () => {
  const page = await request(base, { path: '/' });
  expect(page.status).toBe(200);
  expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(page.headers['cache-control']).toBe(PAGE_CACHE);
  expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  expect(page.headers['x-content-type-options']).toBe('nosniff');

  const script = /<script defer src="assets\/(event-log\.[0-9a-f]{12}\.js)"><\/script>/.exec(page.text)?.[1];
  const style = /<link rel="stylesheet" href="assets\/(event-log\.[0-9a-f]{12}\.css)" \/>/.exec(page.text)?.[1];
  expect({ script, style }).toEqual({ script: expect.any(String), style: expect.any(String) });
  // The Type filter suggests each prefix and every type of the registry.
  expect(page.text).toContain('<option value="messaging.*"></option>');
  expect(page.text).toContain('<option value="messaging.message.*"></option>');
  for (const type of EVENT_TYPE_NAMES) expect(page.text).toContain(`<option value="${type}"></option>`);
  // What the CSP forbids, the page does not need: no inline script, handler or style.
  expect(page.text.match(/<script/g)).toHaveLength(1);
  expect(page.text).not.toMatch(/\son[a-z]+=|\sstyle=/i);

  for (const [file, type] of [
    [script, 'text/javascript; charset=utf-8'],
    [style, 'text/css; charset=utf-8'],
  ] as const) {
    const asset = await request(base, { path: `/assets/${file}` });
    expect({ status: asset.status, type: asset.headers['content-type'], cache: asset.headers['cache-control'] }).toEqual({
      status: 200,
      type,
      cache: ASSET_CACHE,
    });
    expect(asset.text.length).toBeGreaterThan(1000);
  }
});

it.each(['/assets/nope.js', '/assets/__proto__', '/assets/', '//'])('answers %s with a JSON 404', async (target) => {
  // Raw bytes: `//` is no URL path a client library would send as is.
  const answer = await sendRaw(base, requestBytes({ method: 'GET', target, headers: [] }));
  expect({ status: answer.status, json: isJsonError(answer) }).toEqual({ status: 404, json: true });
});

it('refuses other methods on the page with 405', async () => {
  const answer = await request(base, { method: 'POST', path: '/' });
  expect(answer.status).toBe(405);
});
