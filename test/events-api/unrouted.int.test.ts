/**
 * The operators' view of unrouted_events: list (filters, pages), one entry,
 * and replay once the Block exists. Entries are made the way the pipeline
 * makes them: webhook bodies normalized with the real Firestore router while
 * no Block is connected, their rejections and bodies pushed to the event log.
 * Replay runs with the production wiring (renormalizeFresh), publishes the
 * envelopes the normalizer now makes, and marks the entry; a replay that
 * still cannot route changes nothing.
 */
import { randomInt } from 'node:crypto';
import * as functions from '@google-cloud/functions-framework';
import type { DocumentSnapshot } from '@google-cloud/firestore';
import type { Message } from '@google-cloud/pubsub';
import { blockStores, saveBlock } from '../../shared/contracts/blocks';
import type { Envelope } from '../../shared/envelope';
import { createEnvelopePublisher } from '../../shared/envelope/publish';
import { getFirestore } from '../../shared/runtime/gcp';
import { fromUnknown } from '../../shared/event-log/entry';
import { eventLogRef } from '../../shared/event-log/outcomes';
import { rawMessageId } from '../../shared/event-log/raw-store';
import { UNROUTED_EVENTS, writeEntry } from '../../shared/event-log/writer';
import { createEventsApi } from '../../shared/events-api/app';
import type { BodyView } from '../../shared/events-api/unrouted-present';
import { renormalizeFresh } from '../../shared/events-api/renormalize';
import { normalize } from '../../shared/normalize/normalize';
import { staticRouter } from '../../shared/normalize/router';
import type { Platform } from '../../shared/platforms';
import { rawAttributes } from '../../shared/contracts/raw-message';
import type { RejectedItem } from '../../shared/contracts/rejection';
import { collect, createTopic, listen, push, pushSubscription, type Running } from '../event-log/support';
import { uniqueName } from '../helpers/names';
import { deliverUnrouted, whatsappBody, whatsappMessage, type Delivery } from '../helpers/unrouted';
import { checkAnswersConform } from '../helpers/openapi-conformance';
import { waitFor } from '../helpers/wait';
import '../../functions/event-log';

const conformance = checkAnswersConform();
const ws = uniqueName('ws_unrouted');
const topic = uniqueName('events-unrouted').replace(/_/g, '-');
const digits = () => `${Date.now()}${randomInt(100_000, 999_999)}`;
const PHONE = digits();
const PAGE = digits();
const WA_BLOCK = uniqueName('blk_wa');
const PAGE_BLOCK = uniqueName('blk_page');

// unrouted_events is shared by every test of the run (and by earlier runs on a reused emulator):
// this file's entries live in a window of event time of their own, and every query names it.
const base = Date.UTC(2091, 0, 1) + randomInt(0, 1_000_000) * 3_600_000;
const at = (second: number) => new Date(base + second * 1000).toISOString();
const windowed = { from: at(0), to: at(3600) };

functions.http(
  'unroutedApi',
  createEventsApi({ publisher: () => createEnvelopePublisher(topic), renormalizeUnrouted: renormalizeFresh() }),
);

let eventLog: Running;
let api: Running;
let published: { messages: Message[]; stop(): Promise<void> };
const db = () => getFirestore();

interface Seed {
  id: string;
  platform: string;
  reason: string;
  timestamp: string;
  accounts: string[];
}
const seed: Seed[] = [];

/** A GET /unrouted/{id} answer: what the tests read by property, typed; the rest is matched whole. */
type UnroutedDetail = Record<string, unknown> & {
  rejection: Pick<RejectedItem, 'detail'>;
  expire_at: string | null;
  webhook_body: BodyView;
};

/** A webhook body as the pipeline handles it today (test/helpers/unrouted.ts), its rejections recorded for the expectations. */
async function deliver(platform: Platform, body: unknown, receivedAt: string, opts: { storeBody?: boolean } = {}): Promise<Delivery> {
  const delivery = await deliverUnrouted(eventLog.url, platform, body, receivedAt, opts);
  for (const r of delivery.rejections)
    seed.push({ id: r.id, platform, reason: r.reason, timestamp: receivedAt, accounts: r.accounts ?? [] });
  return delivery;
}
const pageBody = (mids: string[]) => ({
  object: 'page',
  entry: [
    {
      id: PAGE,
      time: 1711880130000,
      messaging: mids.map((mid) => ({
        sender: { id: 'psid1' },
        recipient: { id: PAGE },
        timestamp: 1711880130123,
        message: { mid, text: `text ${mid}` },
      })),
    },
  ],
});

let pair: Delivery; // two WhatsApp messages of one body, one entry each
let noBody: Delivery; // a WhatsApp item whose body the raw store never got
let unparseable: Delivery;
let deadId: string; // a Messenger body the normalizer gave up on (kind raw)
let deadBody: string;
let unknownId: string;

beforeAll(async () => {
  [eventLog, api] = await Promise.all([listen('eventLog'), listen('unroutedApi')]);
  conformance.watch(api.url);
  await createTopic(topic);
  // Recovered events reach the workspace log as any event does.
  await pushSubscription(`${topic}-log`, topic, eventLog.url);
  published = await collect(topic, `${topic}-watch`);

  pair = await deliver(
    'whatsapp',
    whatsappBody(PHONE, [whatsappMessage(uniqueName('wamid.A'), 'first'), whatsappMessage(uniqueName('wamid.B'), 'second')]),
    at(10),
  );
  expect(pair.rejections.map((r) => r.reason)).toEqual(['unroutable', 'unroutable']);
  await deliver('messenger', pageBody([uniqueName('m_x')]), at(20));
  noBody = await deliver('whatsapp', whatsappBody(PHONE, [whatsappMessage(uniqueName('wamid.C'), 'lost')]), at(30), { storeBody: false });
  unparseable = await deliver('whatsapp', '{"object":"whatsapp_business_account",', at(40));
  expect(unparseable.rejections.map((r) => r.reason)).toEqual(['unparseable']);

  // The normalizer dead-lettered this body (say it crashed then): the log records it whole, in unrouted_events.
  deadBody = JSON.stringify(pageBody([uniqueName('m_d1'), uniqueName('m_d2')]));
  const attrs = rawAttributes({
    platform: 'messenger',
    kind: 'webhook',
    received_at: at(50),
    request_id: uniqueName('req'),
    content_type: 'application/json',
  });
  const dead = { ...attrs, CloudPubSubDeadLetterSourceSubscription: 'normalizer', CloudPubSubDeadLetterSourceDeliveryCount: '5' };
  expect((await push(eventLog.url, { data: deadBody, attributes: dead }, 'event-log-raw-dead-letter')).status).toBe(204);
  deadId = rawMessageId('messenger', attrs.request_id as string);
  seed.push({ id: deadId, platform: 'messenger', reason: 'normalizer_failed', timestamp: at(50), accounts: [] });

  unknownId = uniqueName('unk');
  await writeEntry(
    db(),
    fromUnknown(unknownId, Buffer.from('hello'), { platform: 'line' }, { now: new Date(at(60)), retentionDays: 30, why: 'neither' }),
    'failed',
  );
  seed.push({ id: unknownId, platform: 'line', reason: 'unrecognized_message', timestamp: at(60), accounts: [] });
});
afterAll(async () => {
  await published.stop();
  await Promise.all([eventLog.close(), api.close()]);
});

const entry = (id: string) => db().collection(UNROUTED_EVENTS).doc(id).get();
const newestFirst = (a: Seed, b: Seed) => (a.timestamp === b.timestamp ? (a.id < b.id ? 1 : -1) : a.timestamp < b.timestamp ? 1 : -1);
const expected = (keep: (s: Seed) => boolean) =>
  seed
    .filter(keep)
    .sort(newestFirst)
    .map((s) => s.id);

/** Every page of the list, in order; inside this file's window unless `window` is false. */
async function listAll(query: Record<string, string>, limit: number, window = true): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams({ ...(window ? windowed : {}), ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
    const res = await fetch(`${api.url}/unrouted?${params}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: Array<{ id: string }>; next_cursor: string | null };
    expect(body.items.length).toBeLessThanOrEqual(limit);
    ids.push(...body.items.map((e) => e.id));
    cursor = body.next_cursor;
  } while (cursor);
  return ids;
}

const replay = (id: string) => fetch(`${api.url}/unrouted/${encodeURIComponent(id)}/replay`, { method: 'POST' });
const publishedEnvelope = (id: string) =>
  waitFor(`event ${id} on the topic`, () => {
    const m = published.messages.find((msg) => msg.attributes.event_id === id);
    return m ? (JSON.parse(m.data.toString()) as Envelope) : undefined;
  });

/** Fails unless the entry is exactly as it was (same data, not even rewritten). */
async function expectUnchanged(before: DocumentSnapshot): Promise<void> {
  const after = await entry(before.id);
  expect(after.data()).toEqual(before.data());
  expect(after.updateTime?.isEqual(before.updateTime!)).toBe(true);
}

describe('GET /unrouted', () => {
  it('pages through the entries newest first, without gaps or repeats (ties broken by id)', async () => {
    const all = await listAll({}, 3);
    expect(all).toEqual(expected(() => true));
    expect(all).toHaveLength(7);
  });

  it.each<[string, Record<string, string>, (s: Seed) => boolean]>([
    ['platform', { platform: 'whatsapp' }, (s) => s.platform === 'whatsapp'],
    ['reason', { reason: 'unroutable' }, (s) => s.reason === 'unroutable'],
    [
      'platform + reason',
      { platform: 'messenger', reason: 'normalizer_failed' },
      (s) => s.platform === 'messenger' && s.reason === 'normalizer_failed',
    ],
    ['a reason the log gives itself', { reason: 'unrecognized_message' }, (s) => s.reason === 'unrecognized_message'],
    ['time range', { from: at(20), to: at(45) }, (s) => s.timestamp >= at(20) && s.timestamp < at(45)],
    ['account', { account: PHONE }, (s) => s.accounts.includes(PHONE)],
    ['another account', { account: PAGE }, (s) => s.accounts.includes(PAGE)],
    ['account + time range', { account: PHONE, from: at(20) }, (s) => s.accounts.includes(PHONE) && s.timestamp >= at(20)],
  ])('filters by %s', async (_name, query, keep) => {
    const want = expected(keep);
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(seed.length);
    expect(await listAll(query, 2)).toEqual(want);
  });

  it("lists exactly an account's entries, newest first, across pages, with no time range", async () => {
    // PHONE is this run's own number, so every entry naming it is one of this file's: the two items of one body
    // (same event time, so the id orders them) and a later one.
    const want = expected((s) => s.accounts.includes(PHONE));
    expect(want).toEqual([
      noBody.rejections[0]!.id,
      ...pair.rejections
        .map((r) => r.id)
        .sort()
        .reverse(),
    ]);
    expect(await listAll({ account: PHONE }, 2, false)).toEqual(want);
    expect(await listAll({ account: PHONE }, 1, false)).toEqual(want);
    expect(await listAll({ account: digits() }, 2, false)).toEqual([]);
  });

  it('shows each row with its kind, reason, platform and time', async () => {
    const res = await fetch(`${api.url}/unrouted?${new URLSearchParams({ ...windowed, reason: 'normalizer_failed' })}`);
    const { items } = (await res.json()) as { items: Array<Record<string, unknown>> };
    expect(items).toEqual([
      expect.objectContaining({
        id: deadId,
        kind: 'raw',
        status: 'failed',
        platform: 'messenger',
        timestamp: at(50),
        rejection: expect.objectContaining({ reason: 'normalizer_failed', path: '' }),
        accounts: [],
        replays: [],
      }),
    ]);
    // An unroutable item's row names its account, which is what an operator scans for.
    const byAccount = await fetch(`${api.url}/unrouted?${new URLSearchParams({ account: PHONE, limit: '1' })}`);
    expect(((await byAccount.json()) as { items: unknown[] }).items).toEqual([
      expect.objectContaining({
        id: noBody.rejections[0]!.id,
        rejection: expect.objectContaining({ reason: 'unroutable' }),
        accounts: [PHONE],
      }),
    ]);
  });

  it.each<[string, string]>([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['platform=myspace', 'platform'],
    ['reason=because', 'reason'],
    ['reason=unroutable&reason=invalid', 'reason'],
    ['from=yesterday', 'from'],
    ['from=2026-04-02T00:00:00Z&to=2026-04-01T00:00:00Z', 'before'],
    ['cursor=xyz', 'cursor'],
    ['status=failed', 'status'],
    ['account=', 'account must be 1 to 200'],
    [`account=${'1'.repeat(201)}`, 'account must be 1 to 200'],
    ['account=1&account=2', 'account must be given once'],
    ['account=1&platform=whatsapp', 'account combines only with from, to'],
    ['account=1&reason=unroutable', 'not with platform or reason'],
  ])('answers 400 with the reason for %s', async (query, mentions) => {
    const res = await fetch(`${api.url}/unrouted?${query}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toMatch(/^(invalid_parameter|unknown_parameter)$/);
    expect(body.detail).toContain(mentions);
  });
});

describe('GET /unrouted/{id}', () => {
  it('shows the entry in full: reason, raw item, and whether its webhook body is kept for a replay', async () => {
    const [first] = pair.rejections as [RejectedItem];
    const res = await fetch(`${api.url}/unrouted/${first.id}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as UnroutedDetail;
    expect(body).toMatchObject({
      id: first.id,
      kind: 'rejected',
      status: 'rejected',
      platform: 'whatsapp',
      timestamp: at(10),
      rejection: { reason: 'unroutable', path: first.path },
      accounts: [PHONE],
      request_id: pair.attributes.request_id,
      raw: { payload: first.raw, truncated: false },
      webhook_body: { stored: true, size: Buffer.byteLength(pair.body) },
    });
    expect(body.rejection.detail).toContain(PHONE);
    expect(body.expire_at).toBe(new Date(Date.parse(at(10)) + 30 * 86_400_000).toISOString());

    const lost = (await (await fetch(`${api.url}/unrouted/${noBody.rejections[0]!.id}`)).json()) as UnroutedDetail;
    expect(lost.webhook_body).toMatchObject({ stored: false });
    expect(lost.webhook_body.note).toContain('not stored');
  });

  it('answers 404 for an unknown entry, 405 for a wrong method', async () => {
    const missing = await fetch(`${api.url}/unrouted/rej_doesnotexist`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'not_found' });
    // An id that cannot be a document id (a decoded slash) is simply not found.
    expect(await (await fetch(`${api.url}/unrouted/a%2Fb`)).json()).toMatchObject({ code: 'not_found', detail: 'no unrouted entry a/b' });
    expect((await replay('rej_doesnotexist')).status).toBe(404);
    const wrong = await fetch(`${api.url}/unrouted/${deadId}`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect((await fetch(`${api.url}/unrouted/${deadId}/replay`)).status).toBe(405);
  });
});

describe('POST /unrouted/{id}/replay', () => {
  it('answers 409 with the reason while the account has no Block, and changes nothing', async () => {
    const [first] = pair.rejections as [RejectedItem];
    const before = await entry(first.id);
    const res = await replay(first.id);
    expect(res.status).toBe(409);
    const body = (await res.json()) as { code: string; detail: string; details: Record<string, string> };
    expect(body).toMatchObject({ code: 'still_unroutable', details: { reason: 'unroutable', path: first.path } });
    expect(body.detail).toContain(PHONE);
    await expectUnchanged(before);
  });

  it('once the Block is saved, publishes the envelopes of this item only, as the normalizer makes them, and marks the entry', async () => {
    const [first, second] = pair.rejections as [RejectedItem, RejectedItem];
    await saveBlock(blockStores(), { block_id: WA_BLOCK, workspace_id: ws, platform: 'whatsapp', account_id: PHONE, status: 'connected' });
    const before = (await entry(first.id)).data();
    const secondBefore = await entry(second.id);

    const res = await replay(first.id);
    expect(res.status).toBe(202);
    const outcome = (await res.json()) as { replayed: string; event_ids: string[]; routed_to: unknown[]; still_rejected: unknown[] };
    expect(outcome).toMatchObject({ replayed: first.id, routed_to: [{ workspace_id: ws, block_id: WA_BLOCK }], still_rejected: [] });

    // The very events the normalizer would have made had the Block been connected then: same ids.
    const route = { workspaceId: ws, blockId: WA_BLOCK };
    const wouldHave = (
      await normalize(
        { platform: 'whatsapp', kind: 'webhook', body: pair.body, receivedAt: at(10), requestId: pair.attributes.request_id },
        staticRouter(route),
      )
    ).envelopes;
    const ofFirst = wouldHave.filter((e) => e.metadata.raw_path === first.path);
    expect(ofFirst).toHaveLength(1);
    expect(outcome.event_ids).toEqual(ofFirst.map((e) => e.id));
    const sent = await publishedEnvelope(outcome.event_ids[0] as string);
    expect(sent).toEqual(ofFirst[0]);
    expect(sent.metadata).toMatchObject({ source: 'webhook', raw_path: first.path, request_id: pair.attributes.request_id });

    // The sibling item was not part of this replay.
    const ofSecond = wouldHave.filter((e) => e.metadata.raw_path === second.path).map((e) => e.id);
    expect(ofSecond).toHaveLength(1);
    expect(published.messages.map((m) => m.attributes.event_id)).not.toContain(ofSecond[0]);
    await expectUnchanged(secondBefore);

    const after = (await entry(first.id)).data()!;
    expect(after.replays).toEqual(outcome.event_ids);
    expect(after.routed_to).toEqual([{ workspace_id: ws, block_id: WA_BLOCK }]);
    expect(after.replayed_at.toDate().getTime()).toBeGreaterThan(0);
    // Nothing the log writer wrote is touched.
    const { replays: _r, routed_to: _t, replayed_at: _a, replayed, ...rest } = after;
    expect(replayed).toBe(true);
    expect(rest).toEqual({ ...before, replayed: undefined });

    // The event reaches the workspace's log like any other webhook event, with its raw item.
    const logged = await waitFor('the recovered event in the workspace log', async () => {
      const d = (await eventLogRef(db(), ws, sent.id).get()).data();
      return d?.kind ? d : undefined;
    });
    expect(logged).toMatchObject({ source: 'webhook', block_id: WA_BLOCK, platform: 'whatsapp' });

    const shown = (await (await fetch(`${api.url}/unrouted/${first.id}`)).json()) as Record<string, unknown>;
    expect(shown).toMatchObject({ replays: outcome.event_ids, routed_to: [{ workspace_id: ws, block_id: WA_BLOCK }] });
    expect(typeof shown.replayed_at).toBe('string');
  });

  it('replays again with the same event ids and leaves the entry consistent', async () => {
    const [first] = pair.rejections as [RejectedItem];
    const before = (await entry(first.id)).data()!;
    const res = await replay(first.id);
    expect(res.status).toBe(202);
    const outcome = (await res.json()) as { event_ids: string[] };
    expect(outcome.event_ids).toEqual(before.replays);
    const after = (await entry(first.id)).data()!;
    expect(after.replays).toEqual(before.replays);
    expect(after.routed_to).toEqual(before.routed_to);
    expect(after.replayed_at.toMillis()).toBeGreaterThanOrEqual(before.replayed_at.toMillis());
    const { replayed_at: _a, ...rest } = after;
    const { replayed_at: _b, ...restBefore } = before;
    expect(rest).toEqual(restBefore);
  });

  it('replays a whole body the normalizer gave up on once its page is connected: every item, refused before', async () => {
    const before = await entry(deadId);
    const refused = await replay(deadId);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ code: 'still_unroutable', details: { reason: 'unroutable' } });
    await expectUnchanged(before);

    await saveBlock(blockStores(), {
      block_id: PAGE_BLOCK,
      workspace_id: ws,
      platform: 'messenger',
      account_id: PAGE,
      status: 'connected',
    });
    const res = await replay(deadId);
    expect(res.status).toBe(202);
    const outcome = (await res.json()) as { event_ids: string[]; routed_to: unknown[] };
    expect(outcome.event_ids).toHaveLength(2);
    expect(outcome.routed_to).toEqual([{ workspace_id: ws, block_id: PAGE_BLOCK }]);
    const sent = await Promise.all(outcome.event_ids.map(publishedEnvelope));
    expect(sent.map((e) => e.metadata.raw_path).sort()).toEqual(['entry[0].messaging[0]', 'entry[0].messaging[1]']);
    expect((await entry(deadId)).data()?.replays).toEqual(outcome.event_ids);
  });

  it('recovers an account as docs/operations.md says: connect its Block, list the account, replay each entry', async () => {
    // A number of its own, at event times after the list tests' window.
    const phone = digits();
    const later = (second: number) => new Date(base + (7200 + second) * 1000).toISOString();
    const one = await deliver('whatsapp', whatsappBody(phone, [whatsappMessage(uniqueName('wamid.R1'), 'one')]), later(1));
    const two = await deliver(
      'whatsapp',
      whatsappBody(phone, [whatsappMessage(uniqueName('wamid.R2'), 'two'), whatsappMessage(uniqueName('wamid.R3'), 'three')]),
      later(2),
    );
    const block = uniqueName('blk_late');
    await saveBlock(blockStores(), { block_id: block, workspace_id: ws, platform: 'whatsapp', account_id: phone, status: 'connected' });

    const ids = await listAll({ account: phone }, 2, false);
    expect(ids).toEqual([
      ...two.rejections
        .map((r) => r.id)
        .sort()
        .reverse(),
      one.rejections[0]!.id,
    ]);
    const eventIds: string[] = [];
    for (const id of ids) {
      const res = await replay(id);
      expect(res.status).toBe(202);
      const outcome = (await res.json()) as { replayed: string; event_ids: string[]; routed_to: unknown[] };
      expect(outcome).toMatchObject({ replayed: id, routed_to: [{ workspace_id: ws, block_id: block }] });
      expect(outcome.event_ids).toHaveLength(1);
      eventIds.push(...outcome.event_ids);
      expect((await entry(id)).get('replays')).toEqual(outcome.event_ids);
    }
    expect(new Set(eventIds).size).toBe(3);
    await Promise.all(eventIds.map(publishedEnvelope));
  });

  it.each<[string, () => string, string, Record<string, string> | undefined]>([
    [
      'its webhook body is not stored (even though its account is now connected)',
      () => noBody.rejections[0]!.id,
      'body_not_stored',
      undefined,
    ],
    ['the normalizer still rejects the body', () => unparseable.rejections[0]!.id, 'still_rejected', { reason: 'unparseable' }],
    ['it is no webhook item', () => unknownId, 'not_a_webhook_item', undefined],
  ])('answers 409 and changes nothing when %s', async (_name, id, error, details) => {
    const before = await entry(id());
    const res = await replay(id());
    expect(res.status).toBe(409);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: error, ...(details ? { details } : {}) });
    expect(typeof body.detail).toBe('string');
    await expectUnchanged(before);
  });
});
