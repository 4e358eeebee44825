/**
 * Listing the log: every filter returns exactly the matching events of the
 * seed (compared with an in-memory filter), pages walk the whole result
 * without gaps or repeats, every filter is backed by a declared index, bad
 * parameters get a 400 with the reason, and workspaces never see each other.
 */
import { contactId, type Envelope } from '../../shared/envelope';
import { getFirestore } from '../../shared/runtime/gcp';
import { reportOutcome } from '../../shared/event-log/outcomes';
import { FILTER_PARAMS, ORDER_FIELD } from '../../shared/events-api/filters';
import { internalEnvelope } from '../../shared/events-api/internal-events';
import { ACCOUNT_FILTER, UNROUTED_FILTERS } from '../../shared/events-api/unrouted-list';
import { topology } from '../../shared/contracts/topology';
import { createTopic, envelopeAttributes, listen, messageEnvelope, push, type Running } from '../event-log/support';
import { uniqueName } from '../helpers/names';
import { checkAnswersConform } from '../helpers/openapi-conformance';
import { sendRaw } from '../helpers/raw-http';
import '../../functions/event-log';

const conformance = checkAnswersConform();

// Replays of seeded entries are published here (nothing pushes them to this log).
const topic = uniqueName('events-list').replace(/_/g, '-');
process.env.EVENTS_TOPIC = topic;
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../functions/events-api');

const ws = uniqueName('ws_list');
const other = uniqueName('ws_other');
let eventLog: Running;
let api: Running;

interface Seed {
  id: string;
  platform: string;
  type: string;
  status: string;
  replayed: boolean;
  contact_id: string | null;
  block_id: string | null;
  timestamp: string;
}
const seed: Seed[] = [];
let foreign: Envelope;

const PLATFORMS = ['instagram', 'line', 'messenger'] as const;

beforeAll(async () => {
  [eventLog, api] = await Promise.all([listen('eventLog'), listen('eventsApi')]);
  conformance.watch(api.url);
  await createTopic(topic);
  const envelopes: Envelope[] = [];
  for (let i = 0; i < 30; i++) {
    // Pairs of events share a timestamp, so ties must be broken by id.
    const at = new Date(Date.UTC(2026, 3, 1, 0, Math.floor(i / 2))).toISOString();
    if (i % 5 === 4) {
      envelopes.push(
        internalEnvelope(
          ws,
          { type: 'commerce.order.created', timestamp: at, data: { order: { id: `o${i}`, status: 'created', items: [] } } },
          `seed-${i}`,
          new Date(),
        ),
      );
    } else {
      const platform = PLATFORMS[i % 3] as (typeof PLATFORMS)[number];
      envelopes.push(
        messageEnvelope({ workspaceId: ws, platform, blockId: `blk_${platform}`, user: `u${i % 4}`, rawId: uniqueName(`m${i}`), at }),
      );
    }
  }
  foreign = messageEnvelope({ workspaceId: other, rawId: uniqueName('foreign'), at: '2026-04-01T00:05:00.000Z' });
  await Promise.all(
    [...envelopes, foreign].map(async (e) => {
      const res = await push(eventLog.url, { data: JSON.stringify(e), attributes: envelopeAttributes(e) }, 'event-log');
      if (res.status !== 204) throw new Error(`seed failed: ${res.status}`);
    }),
  );
  const db = getFirestore();
  for (const [i, e] of envelopes.entries()) {
    let status = 'processing';
    if (i % 3 === 0) {
      await reportOutcome(db, { workspace_id: ws, event_id: e.id, consumer: 'contacts', status: 'success', attempt: 1 });
      await reportOutcome(db, { workspace_id: ws, event_id: e.id, consumer: 'triggers', status: 'success', attempt: 1 });
      status = 'success';
    } else if (i % 7 === 0) {
      await reportOutcome(db, { workspace_id: ws, event_id: e.id, consumer: 'triggers', status: 'retrying', attempt: 2, error: 'boom' });
      status = 'retrying';
    }
    seed.push({
      id: e.id,
      platform: e.platform,
      type: e.type,
      status,
      replayed: false,
      contact_id: (e.data as { contact_id?: string }).contact_id ?? null,
      block_id: e.block_id,
      timestamp: e.timestamp,
    });
  }
  // Some entries were replayed.
  for (const s of seed.filter((_, i) => i % 4 === 1)) {
    const res = await fetch(`${api.url}/workspaces/${ws}/events/${s.id}/replay`, { method: 'POST' });
    if (res.status !== 202) throw new Error(`seed replay failed: ${res.status} ${await res.text()}`);
    s.replayed = true;
  }
});
afterAll(async () => {
  await Promise.all([eventLog.close(), api.close()]);
});

const newestFirst = (a: Seed, b: Seed) => (a.timestamp === b.timestamp ? (a.id < b.id ? 1 : -1) : a.timestamp < b.timestamp ? 1 : -1);

async function listAll(query: Record<string, string>, limit = 7): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
    const res = await fetch(`${api.url}/workspaces/${ws}/events?${params}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: Array<{ id: string }>; next_cursor: string | null };
    expect(body.items.length).toBeLessThanOrEqual(limit);
    ids.push(...body.items.map((e) => e.id));
    cursor = body.next_cursor;
  } while (cursor);
  return ids;
}

const expected = (keep: (s: Seed) => boolean) =>
  seed
    .filter(keep)
    .sort(newestFirst)
    .map((s) => s.id);

describe('GET /workspaces/{ws}/events', () => {
  it('pages through every event of the workspace, newest first, without gaps or repeats', async () => {
    const all = await listAll({});
    expect(all).toEqual(expected(() => true));
    expect(all).toHaveLength(30);
    expect(all).not.toContain(foreign.id);
  });

  it.each<[string, Record<string, string>, (s: Seed) => boolean]>([
    ['platform', { platform: 'line' }, (s) => s.platform === 'line'],
    ['internal platform', { platform: 'convotic' }, (s) => s.platform === 'convotic'],
    ['exact type', { type: 'commerce.order.created' }, (s) => s.type === 'commerce.order.created'],
    ['type=domain.*', { type: 'messaging.*' }, (s) => s.type.startsWith('messaging.')],
    ['type_prefix=domain.entity', { type_prefix: 'messaging.message' }, (s) => s.type.startsWith('messaging.message.')],
    ['type=domain.entity.*', { type: 'commerce.order.*' }, (s) => s.type.startsWith('commerce.order.')],
    ['status success', { status: 'success' }, (s) => s.status === 'success'],
    ['status retrying', { status: 'retrying' }, (s) => s.status === 'retrying'],
    ['status processing', { status: 'processing' }, (s) => s.status === 'processing'],
    ['block', { block_id: 'blk_messenger' }, (s) => s.block_id === 'blk_messenger'],
    ['not replayed', { replayed: 'false' }, (s) => !s.replayed],
    ['replayed', { replayed: 'true' }, (s) => s.replayed],
    ['status + not replayed', { status: 'processing', replayed: 'false' }, (s) => s.status === 'processing' && !s.replayed],
    ['contact', { contact_id: contactId(ws, 'blk_line', 'u1') }, (s) => s.contact_id === contactId(ws, 'blk_line', 'u1')],
    [
      'time range',
      { from: '2026-04-01T00:03:00.000Z', to: '2026-04-01T00:09:00.000Z' },
      (s) => s.timestamp >= '2026-04-01T00:03:00.000Z' && s.timestamp < '2026-04-01T00:09:00.000Z',
    ],
    [
      'platform + status + range',
      { platform: 'instagram', status: 'success', from: '2026-04-01T00:02:00.000Z' },
      (s) => s.platform === 'instagram' && s.status === 'success' && s.timestamp >= '2026-04-01T00:02:00.000Z',
    ],
    [
      'prefix + block',
      { type_prefix: 'messaging', block_id: 'blk_line' },
      (s) => s.type.startsWith('messaging.') && s.block_id === 'blk_line',
    ],
  ])('filters by %s', async (_name, query, keep) => {
    const want = expected(keep);
    expect(want.length).toBeGreaterThan(0);
    expect(await listAll(query, 4)).toEqual(want);
  });

  it('shows each row with its status, platform, type and time', async () => {
    const res = await fetch(`${api.url}/workspaces/${ws}/events?limit=1&status=retrying`);
    const { items } = (await res.json()) as { items: Array<Record<string, unknown>> };
    expect(items[0]).toMatchObject({ status: 'retrying', last_error: { consumer: 'triggers', error: 'boom', attempt: 2 }, kind: 'event' });
  });

  it.each<[string, string]>([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=abc', 'limit'],
    ['platform=myspace', 'platform'],
    ['type=messaging.message.shouted', 'type'],
    ['type=nope.*', 'nope'],
    ['type=messaging.*&type_prefix=messaging', 'not both'],
    ['status=done', 'status'],
    ['replayed=yes', 'replayed'],
    ['from=yesterday', 'from'],
    ['from=2026-04-02T00:00:00Z&to=2026-04-01T00:00:00Z', 'before'],
    ['cursor=xyz', 'cursor'],
    ['colour=red', 'colour'],
    ['platform=line&platform=instagram', 'platform'],
  ])('answers 400 with the reason for %s', async (query, mentions) => {
    const res = await fetch(`${api.url}/workspaces/${ws}/events?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toMatch(/^(invalid_parameter|unknown_parameter)$/);
    expect(body.detail).toContain(mentions);
  });

  it('refuses a cursor reused with another filter (cursor_filter_mismatch), and pages on with the same one', async () => {
    const first = (await (await fetch(`${api.url}/workspaces/${ws}/events?limit=2&platform=line`)).json()) as { next_cursor: string };
    expect(first.next_cursor).toEqual(expect.any(String));
    const cursor = encodeURIComponent(first.next_cursor);
    for (const other of ['platform=instagram', '', 'platform=line&status=success']) {
      const res = await fetch(`${api.url}/workspaces/${ws}/events?limit=2&${other}&cursor=${cursor}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'cursor_filter_mismatch', type: '/problems/cursor_filter_mismatch' });
    }
    // The same filter, whatever the order of its parameters or the page size, pages on.
    expect((await fetch(`${api.url}/workspaces/${ws}/events?platform=line&limit=3&cursor=${cursor}`)).status).toBe(200);
  });
});

describe('conventions', () => {
  it('answers errors as RFC 9457 problem+json with the code, the path and the request id', async () => {
    const res = await fetch(`${api.url}/workspaces/${ws}/events?status=done`, { headers: { 'X-Request-Id': 'req-123.a:b' } });
    expect(res.headers.get('x-request-id')).toBe('req-123.a:b');
    expect(await res.json()).toEqual({
      type: '/problems/invalid_parameter',
      title: 'Invalid parameter',
      status: 400,
      detail: expect.stringContaining('status'),
      instance: `/workspaces/${ws}/events`,
      code: 'invalid_parameter',
      request_id: 'req-123.a:b',
    });
  });

  it('puts X-Request-Id on every answer: the caller’s when it is plain, else a new one', async () => {
    const ok = await fetch(`${api.url}/workspaces/${ws}/events?limit=1`);
    expect(ok.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    for (const unsafe of ['has space', 'x'.repeat(201), 'semi;colon']) {
      const res = await fetch(`${api.url}/workspaces/${ws}/events?limit=1`, { headers: { 'X-Request-Id': unsafe } });
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    // Refused before routing (the body guard) too.
    const malformed = await fetch(`${api.url}/workspaces/${ws}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Request-Id': 'guarded-1' },
      body: '{not json',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('x-request-id')).toBe('guarded-1');
    expect(malformed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await malformed.json()).toMatchObject({ code: 'malformed_json', request_id: 'guarded-1', instance: `/workspaces/${ws}/events` });
  });

  it('puts one on what never becomes a request too (framing node cannot parse)', async () => {
    const answer = await sendRaw(api.url, Buffer.from('GET /workspaces HTTP/1.1\r\nhost: x\r\nbad header line\r\n\r\n'));
    expect(answer.status).toBe(400);
    expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('describes each problem type at its type URI', async () => {
    const res = await fetch(`${api.url}/problems/cursor_filter_mismatch`);
    expect(await res.json()).toEqual({
      type: '/problems/cursor_filter_mismatch',
      code: 'cursor_filter_mismatch',
      status: 400,
      title: 'Cursor used with another filter',
    });
    expect((await fetch(`${api.url}/problems/no_such_problem`)).status).toBe(404);
  });

  it('serves its OpenAPI document', async () => {
    const res = await fetch(`${api.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ openapi: '3.1.0', paths: { '/workspaces/{ws}/events': { get: expect.any(Object) } } });
  });
});

describe('indexes', () => {
  /** The fields with a (field ASC, timestamp DESC) index on `group` in topology.json. */
  const indexed = (group: string) =>
    new Set(
      topology.firestore.composite_indexes
        .filter((i) => i.collection_group === group && i.query_scope === 'COLLECTION' && i.fields.length === 2)
        .filter((i) => i.fields[1]?.field_path === ORDER_FIELD && i.fields[1]?.order === 'DESCENDING' && i.fields[0]?.order === 'ASCENDING')
        .map((i) => i.fields[0]?.field_path),
    );

  it('declares a (field ASC, timestamp DESC) event_log index in topology.json for every field a filter queries', () => {
    const declared = indexed('event_log');
    const queried = new Set(
      Object.values(FILTER_PARAMS)
        .flat()
        .filter((f) => f !== ORDER_FIELD),
    );
    expect(queried.size).toBeGreaterThan(0);
    for (const field of queried) expect({ field, indexed: declared.has(field) }).toEqual({ field, indexed: true });
    expect(topology.firestore.ttl_fields).toContainEqual({ collection_group: 'event_log', field: 'expire_at' });
  });

  it('declares one on unrouted_events for every field an /unrouted filter queries', () => {
    const declared = indexed('unrouted_events');
    const queried = Object.values(UNROUTED_FILTERS).map((f) => f.field);
    expect(queried.length).toBeGreaterThan(0);
    for (const field of queried) expect({ field, indexed: declared.has(field) }).toEqual({ field, indexed: true });
    expect(topology.firestore.ttl_fields).toContainEqual({ collection_group: 'unrouted_events', field: 'expire_at' });
  });

  it('declares an (accounts CONTAINS, timestamp DESC) index on unrouted_events for the account filter', () => {
    // The account filter runs alone (with from/to and the cursor), so this one index serves it.
    const contains = topology.firestore.composite_indexes
      .filter((i) => i.collection_group === 'unrouted_events' && i.query_scope === 'COLLECTION' && i.fields.length === 2)
      .filter(
        (i) => i.fields[0]?.array_config === 'CONTAINS' && i.fields[1]?.field_path === ORDER_FIELD && i.fields[1]?.order === 'DESCENDING',
      )
      .map((i) => i.fields[0]?.field_path);
    expect(contains).toEqual([ACCOUNT_FILTER.field]);
  });
});

describe('workspace scoping and routes', () => {
  it("never shows or replays another workspace's event", async () => {
    const get = await fetch(`${api.url}/workspaces/${ws}/events/${foreign.id}`);
    expect(get.status).toBe(404);
    expect(await get.json()).toMatchObject({ code: 'not_found' });
    const replay = await fetch(`${api.url}/workspaces/${ws}/events/${foreign.id}/replay`, { method: 'POST' });
    expect(replay.status).toBe(404);
    const own = await fetch(`${api.url}/workspaces/${other}/events/${foreign.id}`);
    expect(own.status).toBe(200);
  });

  it('answers 404 for unknown routes and events, 405 for a wrong method, 400 for a bad workspace id', async () => {
    expect((await fetch(`${api.url}/workspaces/${ws}/nothing`)).status).toBe(404);
    expect((await fetch(`${api.url}/nothing/here`)).status).toBe(404);
    expect((await fetch(`${api.url}/workspaces/${ws}/events/evt_doesnotexist`)).status).toBe(404);
    const wrong = await fetch(`${api.url}/workspaces/${ws}/events/evt_x`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect((await fetch(`${api.url}/workspaces/${ws}/events/evt_x/replay`)).status).toBe(405);
    const bad = await fetch(`${api.url}/workspaces/bad%20ws/events`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'invalid_workspace' });
  });
});
