/**
 * The log entry of a replayed event: linked to the entry it replays (an
 * event, a rejected item or a failed body), and tied to a stored webhook
 * body only when what it replays came from a webhook, so its detail never
 * shows a body some other event's metadata named.
 */
import type { Envelope } from '../../shared/envelope';
import { fromEnvelope } from '../../shared/event-log/entry';
import { rawMessageId } from '../../shared/event-log/raw-store';
import { testEnvelopes } from '../helpers/envelopes';
import { messageEnvelope } from './support';

const opts = { now: new Date('2026-04-01T00:00:00.000Z'), retentionDays: 30 };
const webhookEvent = messageEnvelope({
  workspaceId: 'ws_entry',
  platform: 'messenger',
  rawId: 'm_1',
  at: '2026-04-01T00:00:00.000Z',
  metadata: { request_id: 'req_1', raw_path: 'entry[0].messaging[0]' },
});
const replayOf = (e: Envelope, metadata: Record<string, unknown>) =>
  ({ ...e, id: 'evt_replay', metadata: { ...e.metadata, source: 'replay', ...metadata } }) as Envelope;

describe('fromEnvelope for a replay', () => {
  it('ties a replay to the webhook body its request names only when the replayed event came from that webhook', () => {
    const body = rawMessageId('messenger', 'req_1');
    expect(fromEnvelope(webhookEvent, opts).raw_ref).toBe(body);
    const link = { replay_of: webhookEvent.id, replay_of_entry: webhookEvent.id };
    expect(fromEnvelope(replayOf(webhookEvent, { ...link, replay_origin: 'webhook' }), opts)).toMatchObject({
      source: 'replay',
      replay_of: webhookEvent.id,
      raw_ref: body,
    });
    // An internal or derived event's request_id is only a claim: the body it names may be another workspace's.
    expect(fromEnvelope(replayOf(webhookEvent, { ...link, replay_origin: 'internal' }), opts).raw_ref).toBeNull();
    expect(fromEnvelope(replayOf(webhookEvent, { ...link, replay_origin: 'derived' }), opts).raw_ref).toBeNull();
  });

  it('ties a replay that does not say where its original came from to no webhook body', () => {
    expect(fromEnvelope(replayOf(webhookEvent, { replay_of: webhookEvent.id }), opts).raw_ref).toBeNull();
  });

  it('links a replay of a rejected item to the rejected entry', () => {
    const entry = fromEnvelope(replayOf(webhookEvent, { replay_of_entry: 'rej_abc', replay_origin: 'webhook' }), opts);
    expect(entry.replay_of).toBe('rej_abc');
  });
});

describe('fromEnvelope: how long an entry is kept', () => {
  const DAY = 86_400_000;
  const old = messageEnvelope({ workspaceId: 'ws_entry', platform: 'messenger', rawId: 'm_old', at: '2026-03-03T00:00:00.000Z' });

  it('keeps an event for the retention from its event time', () => {
    expect(fromEnvelope(old, opts).expire_at.toMillis()).toBe(Date.parse('2026-03-03T00:00:00.000Z') + 30 * DAY);
  });

  it('keeps a replay of a 29-day-old event for the retention from when it was replayed, not one more day', () => {
    const replay = replayOf(old, { replay_of: old.id, replay_of_entry: old.id, replay_origin: 'webhook' });
    expect(fromEnvelope(replay, opts).expire_at.toMillis()).toBe(opts.now.getTime() + 30 * DAY);
  });
});

describe('fromEnvelope: the fields the log lists and filters by', () => {
  const e = messageEnvelope({ workspaceId: 'ws', platform: 'messenger', rawId: 'm1', at: '2026-04-01T00:00:00.000Z' });
  it('kind, type parts, contact, raw flags', () => {
    expect(fromEnvelope(e, opts)).toMatchObject({
      kind: 'event',
      type_domain: 'messaging',
      type_entity: 'messaging.message',
      contact_id: (e.data as { contact_id: string }).contact_id,
      raw_truncated: false,
    });
    const o = testEnvelopes({ workspaceId: 'ws', blockId: 'blk_ig', platform: 'instagram' }).orderCreated({
      at: '2026-04-01T00:00:00.000Z',
      orderId: 'o9',
    });
    expect(fromEnvelope(o, opts)).toMatchObject({ type_domain: 'commerce', type_entity: 'commerce.order', contact_id: null });
  });
  it('no request id -> no raw_ref; an internal convotic event -> no raw_ref', () => {
    expect(fromEnvelope(e, opts).raw_ref).toBeNull();
    const c = { ...e, platform: 'convotic', metadata: { ...e.metadata, request_id: 'req_9' } } as Envelope;
    expect(fromEnvelope(c, opts).raw_ref).toBeNull();
  });
  it('an envelope too large for a Firestore doc is omitted and flagged', () => {
    const big = {
      ...e,
      data: { ...e.data, message: { ...(e.data as { message: object }).message, text: 'x'.repeat(400_001) } },
    } as Envelope;
    expect(fromEnvelope(big, opts)).toMatchObject({ envelope_json: null, envelope_omitted: true });
    expect(fromEnvelope(e, opts).envelope_json).toBe(JSON.stringify(e));
    expect(fromEnvelope(e, opts)).not.toHaveProperty('envelope_omitted');
  });
});

describe('a time Firestore cannot hold', () => {
  it.each(['0000-01-01T00:00:00.000Z', '+010000-01-01T00:00:00.000Z'])(
    'dates the entry %s by its logging time instead of failing every write',
    (timestamp) => {
      const fields = fromEnvelope({ ...webhookEvent, timestamp }, opts);
      expect(fields.timestamp.toDate()).toEqual(opts.now);
      expect(fields.expire_at.toDate()).toEqual(new Date(opts.now.getTime() + 30 * 86_400_000));
    },
  );
});
