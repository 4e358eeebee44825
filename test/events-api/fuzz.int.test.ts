/**
 * Fuzz: the events-api through the functions-framework server and raw
 * sockets, over the Firestore emulator, against hostile methods, targets
 * (every route with fuzzed segments and query parameters, crafted cursors),
 * headers, content types and encodings, bodies and framing. Whatever comes
 * in: no 5xx, every refusal is JSON with an error code (problem+json `code`), and the API still
 * serves a valid list request afterwards.
 *
 * Bounded: a fixed seed (FUZZ_SEED to explore; fast-check prints the seed
 * and path of any failure) and a hundred-odd runs.
 */
import type { Server } from 'node:http';
import fc from 'fast-check';
import { http as registerHttp } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createEventsApi } from '../../shared/events-api/app';
import { createLogger } from '../../shared/runtime/log';
import { FUZZ_SEED, expectSurvivesFraming, expectWellBehaved, request as fuzzRequest } from '../helpers/fuzz-requests';
import { listen } from '../helpers/http-client';
import { uniqueName } from '../helpers/names';
import { isJsonError, requestBytes, sendRaw } from '../helpers/raw-http';

const ws = uniqueName('ws_fuzz');
let server: { baseUrl: string; close: () => Promise<void> };

beforeAll(async () => {
  registerHttp(
    'fuzzEventsApi',
    createEventsApi({
      // Serializes as the real publisher does (a value it cannot serialize fails there too), then drops it.
      publisher: () => ({ publish: async (envelope) => (JSON.stringify(envelope), 'fuzz-message') }),
      logger: createLogger({ component: 'events-api' }, { level: 'error', write: (l) => process.stderr.write(l + '\n') }),
    }),
  );
  server = await listen(getTestServer('fuzzEventsApi') as Server);
});
afterAll(() => server.close());

const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const CRAFTED_CURSORS = [
  cursor({ s: 1e20, n: 0, id: 'x' }),
  cursor({ s: -1e20, n: 0, id: 'x' }),
  cursor({ s: 0, n: 0, id: 'a/b' }),
  cursor({ s: 0, n: 0, id: '__id__' }),
  cursor({ s: 0, n: 0, id: '..' }),
  cursor({ s: 0, n: 0, id: 'x'.repeat(2000) }),
  cursor(null),
  cursor([1, 2]),
  '%%%',
];
/** Times that parse but Firestore cannot hold (before year 1), and its last one. */
const CRAFTED_TIMES = ['0000-01-01T00:00:00Z', '0000-12-31T23:59:59Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z'];
const fuzzCursor = fc.oneof(
  fc.constantFrom(...CRAFTED_CURSORS),
  fc
    .record({
      s: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(2 ** 53, -(2 ** 60), 253402300800)),
      n: fc.oneof(fc.integer(), fc.constant(1e9)),
      id: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('/', 'a/b', '__x__', '.', '')),
    })
    .map(cursor),
);
const query = fc
  .array(
    fc.tuple(
      fc.constantFrom(
        'cursor',
        'limit',
        'type',
        'platform',
        'status',
        'from',
        'to',
        'contact_id',
        'block_id',
        'replayed',
        'account',
        'reason',
        'x',
      ),
      fc.oneof(
        fuzzCursor,
        fc.stringMatching(/^[A-Za-z0-9._~%-]{0,20}$/),
        fc.constantFrom(...CRAFTED_TIMES),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` : ''));

const segment = fc.oneof(
  fc.constantFrom(ws, 'x', '%2F', '%', '..', 'a'.repeat(300), '__x__'),
  fc.stringMatching(/^[A-Za-z0-9._~%-]{1,12}$/),
);
const apiTarget = fc
  .tuple(
    fc.constantFrom(
      (a: string) => `/workspaces/${a}/events`,
      (a: string, b: string) => `/workspaces/${a}/events/${b}`,
      (a: string, b: string) => `/workspaces/${a}/events/${b}/replay`,
      (a: string) => `/workspaces/${a}/replays`,
      (a: string, b: string) => `/workspaces/${a}/replays/${b}`,
      () => '/unrouted',
      (_a: string, b: string) => `/unrouted/${b}`,
      (_a: string, b: string) => `/unrouted/${b}/replay`,
    ),
    segment,
    segment,
    query,
  )
  .map(([path, a, b, q]) => `${path(a, b)}${q}`);

async function servesValid(): Promise<void> {
  const answer = await sendRaw(server.baseUrl, requestBytes({ method: 'GET', target: `/workspaces/${ws}/events?limit=5`, headers: [] }));
  expect({ status: answer.status, body: answer.body.slice(0, 300) }).toEqual(expect.objectContaining({ status: 200 }));
}

it('answers crafted cursors with a JSON 400', async () => {
  for (const c of CRAFTED_CURSORS) {
    for (const path of [`/workspaces/${ws}/events`, '/unrouted']) {
      const answer = await sendRaw(
        server.baseUrl,
        requestBytes({ method: 'GET', target: `${path}?cursor=${encodeURIComponent(c)}`, headers: [] }),
      );
      expect({ c, path, status: answer.status, body: answer.body }).toEqual({
        c,
        path,
        status: 400,
        body: expect.stringContaining('"code":"invalid_parameter"'),
      });
    }
  }
  await servesValid();
});

it('answers a time Firestore cannot hold with a JSON 400: list and replay filters, an internal event', async () => {
  for (const param of ['from', 'to']) {
    const answer = await sendRaw(
      server.baseUrl,
      requestBytes({ method: 'GET', target: `/workspaces/${ws}/events?${param}=0000-01-01T00:00:00Z`, headers: [] }),
    );
    expect({ param, status: answer.status, body: answer.body }).toEqual({
      param,
      status: 400,
      body: expect.stringContaining('"code":"invalid_parameter"'),
    });
  }
  const body = Buffer.from(JSON.stringify({ filter: { from: '0000-06-01T00:00:00Z' } }));
  const replay = await sendRaw(
    server.baseUrl,
    requestBytes({
      method: 'POST',
      target: `/workspaces/${ws}/replays`,
      headers: [
        ['content-type', 'application/json'],
        ['content-length', String(body.length)],
      ],
      body,
    }),
  );
  expect({ status: replay.status, json: isJsonError(replay) }).toEqual({ status: 400, json: true });
  // An internal event dated so would be refused by the log's every write: refused here instead.
  const event = Buffer.from(
    JSON.stringify({
      type: 'commerce.order.created',
      timestamp: '0000-01-01T00:00:00Z',
      data: { order: { id: 'o', status: 'created', items: [] } },
    }),
  );
  const internal = await sendRaw(
    server.baseUrl,
    requestBytes({
      method: 'POST',
      target: `/workspaces/${ws}/events`,
      headers: [
        ['content-type', 'application/json'],
        ['content-length', String(event.length)],
      ],
      body: event,
    }),
  );
  expect({ status: internal.status, body: internal.body }).toEqual({
    status: 400,
    body: expect.stringContaining('"code":"invalid_envelope"'),
  });
  await servesValid();
});

it('answers an internal event nested 10,000 deep with a JSON 400, not a stack overflow at publish', async () => {
  const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
  const event = Buffer.from(
    `{"type":"commerce.order.created","data":{"order":{"id":"o","status":"created","items":[]}},"metadata":{"x":${deep}}}`,
  );
  const answer = await sendRaw(
    server.baseUrl,
    requestBytes({
      method: 'POST',
      target: `/workspaces/${ws}/events`,
      headers: [
        ['content-type', 'application/json'],
        ['content-length', String(event.length)],
      ],
      body: event,
    }),
  );
  expect({ status: answer.status, body: answer.body }).toEqual({ status: 400, body: expect.stringContaining('"code":"invalid_body"') });
  await servesValid();
});

it('answers the form and target cases with JSON 4xx', async () => {
  const form = (body: string) => ({
    method: 'POST',
    target: `/workspaces/${ws}/events`,
    headers: [
      ['content-type', 'application/x-www-form-urlencoded'],
      ['content-length', String(Buffer.byteLength(body))],
    ] as Array<[string, string]>,
    body: Buffer.from(body),
  });
  const cases: Array<[Parameters<typeof requestBytes>[0], number]> = [
    [form(Array.from({ length: 2000 }, (_, i) => `f${i}=1`).join('&')), 415],
    [form(`a${'[b]'.repeat(40)}=1`), 415],
    [{ method: 'OPTIONS', target: '*', headers: [] }, 404],
    [{ method: 'GET', target: '/favicon.ico', headers: [] }, 404],
    [{ method: 'GET', target: '//', headers: [] }, 404],
  ];
  for (const [req, status] of cases) {
    const answer = await sendRaw(server.baseUrl, requestBytes(req));
    expect({ target: req.target, status: answer.status, json: isJsonError(answer) }).toEqual({ target: req.target, status, json: true });
  }
  await servesValid();
});

it('answers any request with no 5xx and JSON refusals, and still serves a valid one', async () => {
  const requests = fc.oneof(
    fuzzRequest({ paths: ['/', '/unrouted', `/workspaces/${ws}/events`, `/workspaces/${ws}/replays`] }),
    fc.tuple(fuzzRequest({ paths: ['/'] }), apiTarget).map(([req, target]) => ({ ...req, target })),
  );
  await fc.assert(
    fc.asyncProperty(requests, async (req) => {
      expectWellBehaved(await sendRaw(server.baseUrl, requestBytes(req)), req.method);
    }),
    { seed: FUZZ_SEED, numRuns: 200, endOnFailure: true },
  );
  await servesValid();
});

it('survives broken framing: no 5xx, and serves the next valid request', async () => {
  await expectSurvivesFraming(server.baseUrl, servesValid, 30);
});
