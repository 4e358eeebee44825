/**
 * Nothing is invisible: rejected batch items, webhook bodies the normalizer
 * gave up on and unrecognized messages all reach a log; webhook bodies are
 * kept for replay.
 */
import { getFirestore } from '../../shared/runtime/gcp';
import { eventLogRef } from '../../shared/event-log/outcomes';
import { rawMessageId, RAW_MESSAGES } from '../../shared/event-log/raw-store';
import { UNROUTED_EVENTS } from '../../shared/event-log/writer';
import type { RejectedItem } from '../../shared/contracts/rejection';
import { rawAttributes } from '../../shared/contracts/raw-message';
import { listen, push, type Running } from './support';
import { uniqueName } from '../helpers/names';
import '../../functions/event-log';

const ws = uniqueName('ws_rej');
const db = () => getFirestore();
let eventLog: Running;

beforeAll(async () => {
  eventLog = await listen('eventLog');
});
afterAll(() => eventLog.close());

function rejected(overrides: Partial<RejectedItem>): RejectedItem {
  return {
    id: uniqueName('rej'),
    reason: 'unsupported',
    detail: 'event kind messaging.game_play has no mapping',
    platform: 'messenger',
    path: 'entry[0].messaging[1]',
    raw: { sender: { id: 'u1' }, game_play: { game_id: 'g1' }, nested: [[1, 2], [3]] },
    raw_platform_event_id: uniqueName('mid'),
    request_id: uniqueName('req'),
    received_at: '2026-04-05T10:00:00.000Z',
    rejected_at: '2026-04-05T10:00:01.000Z',
    ...overrides,
  };
}

describe('rejected items, dead webhook bodies and the raw store', () => {
  it('lists a rejected item of a known workspace with status rejected, its reason and raw payload', async () => {
    const item = rejected({ workspace_id: ws, block_id: 'blk_m' });
    expect(
      (await push(eventLog.url, { data: JSON.stringify(item), attributes: { platform: 'messenger' } }, 'event-log-rejected')).status,
    ).toBe(204);
    const d = (await eventLogRef(db(), ws, item.id).get()).data();
    expect(d).toMatchObject({
      kind: 'rejected',
      status: 'rejected',
      platform: 'messenger',
      block_id: 'blk_m',
      rejection: { reason: 'unsupported', detail: item.detail, path: item.path },
      raw_truncated: false,
    });
    expect(JSON.parse(d?.raw_json)).toEqual(item.raw);
    expect(d?.expire_at.toMillis()).toBe(Date.parse('2026-04-05T10:00:00.000Z') + 30 * 86_400_000);
  });

  it('keeps unroutable items (no workspace) in unrouted_events, with the accounts they name as a field', async () => {
    const item = rejected({ reason: 'unroutable', detail: 'no Block for page 999', accounts: ['999', '17841400000000001'] });
    expect((await push(eventLog.url, { data: JSON.stringify(item) }, 'event-log-rejected')).status).toBe(204);
    const d = (await db().collection(UNROUTED_EVENTS).doc(item.id).get()).data();
    expect(d).toMatchObject({ kind: 'rejected', status: 'rejected', workspace_id: null, rejection: { reason: 'unroutable' } });
    expect(d?.accounts).toEqual(['999', '17841400000000001']);
    expect(d?.expire_at).toBeDefined();
  });

  it('stores no accounts field for an item that names none', async () => {
    const item = rejected({ reason: 'unroutable', detail: 'the item names no telegram account', platform: 'telegram' });
    expect((await push(eventLog.url, { data: JSON.stringify(item) }, 'event-log-rejected')).status).toBe(204);
    const d = (await db().collection(UNROUTED_EVENTS).doc(item.id).get()).data();
    expect(d).toMatchObject({ kind: 'rejected', rejection: { reason: 'unroutable' } });
    expect(d).not.toHaveProperty('accounts');
  });

  it('keeps only account ids it can index from a rejection it did not build: strings of 1-200 characters, each once', async () => {
    // The rejection comes over Pub/Sub; a publisher with a bug must not make the entry unwritable or unqueryable.
    const accounts = ['106540352242922', 42, '', 'x'.repeat(201), '106540352242922', null, 'U1'] as unknown as string[];
    const item = rejected({ reason: 'unroutable', platform: 'whatsapp', accounts });
    expect((await push(eventLog.url, { data: JSON.stringify(item) }, 'event-log-rejected')).status).toBe(204);
    expect((await db().collection(UNROUTED_EVENTS).doc(item.id).get()).get('accounts')).toEqual(['106540352242922', 'U1']);

    const notAList = rejected({ reason: 'unroutable', accounts: 'U1' as unknown as string[] });
    expect((await push(eventLog.url, { data: JSON.stringify(notAList) }, 'event-log-rejected')).status).toBe(204);
    const d = (await db().collection(UNROUTED_EVENTS).doc(notAList.id).get()).data();
    expect(d).toMatchObject({ kind: 'rejected' });
    expect(d).not.toHaveProperty('accounts');
  });

  it('cuts a raw payload too large for a Firestore document and flags it', async () => {
    const item = rejected({ workspace_id: ws, raw: { text: 'x'.repeat(600_000) } });
    expect((await push(eventLog.url, { data: JSON.stringify(item) }, 'event-log-rejected')).status).toBe(204);
    const d = (await eventLogRef(db(), ws, item.id).get()).data();
    expect(d?.raw_truncated).toBe(true);
    expect(Buffer.byteLength(d?.raw_json)).toBeLessThanOrEqual(400_000);
  });

  it('stores each webhook body once for replay, and records one the normalizer dead-lettered as failed', async () => {
    const body = JSON.stringify({ destination: 'U1', events: [{ type: 'message', webhookEventId: 'W1' }] });
    const attrs = rawAttributes({
      platform: 'line',
      received_at: '2026-04-06T00:00:00.000Z',
      request_id: uniqueName('req'),
      kind: 'webhook',
      content_type: 'application/json',
      workspace_id: ws,
      block_id: 'blk_line',
    });
    const id = rawMessageId('line', attrs.request_id as string);
    expect((await push(eventLog.url, { data: body, attributes: attrs }, 'event-log-raw')).status).toBe(204);
    const first = await db().collection(RAW_MESSAGES).doc(id).get();
    expect(first.data()).toMatchObject({ body, encoding: 'utf8', truncated: false, workspace_id: ws, platform: 'line' });
    expect((await push(eventLog.url, { data: body, attributes: attrs }, 'event-log-raw')).status).toBe(204);
    expect((await db().collection(RAW_MESSAGES).doc(id).get()).updateTime?.isEqual(first.updateTime!)).toBe(true);

    const dead = { ...attrs, CloudPubSubDeadLetterSourceSubscription: 'normalizer', CloudPubSubDeadLetterSourceDeliveryCount: '10' };
    expect((await push(eventLog.url, { data: body, attributes: dead }, 'event-log-raw-dead-letter')).status).toBe(204);
    const d = (await eventLogRef(db(), ws, id).get()).data();
    expect(d).toMatchObject({ kind: 'raw', status: 'failed', platform: 'line', raw_ref: id, rejection: { reason: 'normalizer_failed' } });
    expect(d?.rejection.detail).toContain('10 delivery attempts');
    expect(d?.raw_json).toBe(body);
  });

  it('puts a dead Meta body (no workspace known at the edge) in unrouted_events', async () => {
    const attrs = rawAttributes({
      platform: 'instagram',
      received_at: '2026-04-06T00:00:00.000Z',
      request_id: uniqueName('req'),
      kind: 'webhook',
      content_type: 'application/json',
    });
    const dead = { ...attrs, CloudPubSubDeadLetterSourceSubscription: 'normalizer', CloudPubSubDeadLetterSourceDeliveryCount: '10' };
    expect((await push(eventLog.url, { data: '{"object":"instagram"', attributes: dead }, 'event-log-raw-dead-letter')).status).toBe(204);
    const d = (
      await db()
        .collection(UNROUTED_EVENTS)
        .doc(rawMessageId('instagram', attrs.request_id as string))
        .get()
    ).data();
    expect(d).toMatchObject({ kind: 'raw', status: 'failed', raw_json: '{"object":"instagram"' });
  });

  it('records an unrecognized message instead of dropping it, and refuses a non-push request', async () => {
    const res = await push(eventLog.url, { data: 'hello', attributes: { foo: 'bar' } }, 'event-log');
    expect(res.status).toBe(204);
    const all = await db().collection(UNROUTED_EVENTS).where('kind', '==', 'unknown').get();
    expect(all.docs.some((doc) => String(doc.get('raw_json')).includes('hello'))).toBe(true);

    const bad = await fetch(eventLog.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'not_a_push' });
  });
});
