/**
 * The outbox primitive itself on the emulators (Firestore for the records and
 * the effect, Pub/Sub for what is sent), through a minimal subscriber: its
 * effect counts how often an event was applied, its messages carry
 * deterministic ids. Duplicates delivered in shuffled order and concurrently
 * apply each event once and send every message at least once under one id; a
 * crash between commit and publish is recovered on the redelivery; a replay
 * recovers a stranded record.
 */
import type { Timestamp, WriteBatch } from '@google-cloud/firestore';
import type { Envelope } from '../../shared/envelope';
import { getFirestore, getTopic } from '../../shared/runtime/gcp';
import { createOutbox, type OutboxRecord } from '../../shared/outbox/outbox';
import { shuffled, tapTopic, type PulledMessage, type TopicTap } from '../contacts/harness';
import { testEnvelopes } from '../helpers/envelopes';
import { uniqueName } from '../helpers/names';

const TOPIC = uniqueName('outbox-sent');
const COLLECTION = 'test_outbox';
const DAY_MS = 24 * 60 * 60 * 1000;
const at = (s: number) => new Date(Date.UTC(2026, 2, 31, 10, 0, 0) + s * 1000).toISOString();
const workspace = (ws: string) => getFirestore().collection('workspaces').doc(ws);

interface Body {
  event_id: string;
  message_ids: string[];
}
type TestRecord = OutboxRecord<Body>;
/** What the subscriber publishes per message (see `send`). */
interface Sent {
  id: string;
  event_id: string;
}

/** What an event sends: `count` messages whose ids derive from the event id. */
const messageIds = (event: Envelope, count: number) => Array.from({ length: count }, (_, i) => `msg_${event.id}_${i}`);

/**
 * A subscriber built on the outbox. Its effect: `test_effects/{event id}`
 * counts the applications (the test wants 1). `messages(event)`: how many
 * messages an event sends. `failures`: sends that throw before reaching
 * Pub/Sub (a crash between commit and publish); Infinity is an outage. Each
 * message names the context it was sent with (the event's id, also on a recovery).
 */
function subscriber(
  ws: string,
  options: { messages: (event: Envelope) => number; failures?: number; claim?: boolean; createFirst?: boolean },
) {
  const topic = getTopic(TOPIC);
  let failures = options.failures ?? 0;
  const db = getFirestore();
  const effect = (eventId: string) => workspace(ws).collection('test_effects').doc(eventId);
  const box = createOutbox<Body, string>(db, {
    collection: COLLECTION,
    retentionDays: 3,
    send: (record, context) =>
      Promise.all(
        record.message_ids.map(async (id) => {
          if (failures > 0) {
            failures--;
            throw new Error('simulated crash after commit');
          }
          await topic.publishMessage({
            data: Buffer.from(JSON.stringify({ id, event_id: record.event_id })),
            attributes: { workspace_id: ws, message_id: id, context },
          });
        }),
      ),
    alsoWhenPublished: (batch: WriteBatch, space: string, record: TestRecord, now: string) => {
      batch.set(workspace(space).collection('test_marks').doc(record.event_id), { marked_at: now });
    },
  });

  return {
    box,
    /** One delivery: apply once (or find the record), then send what is pending. */
    async deliver(event: Envelope) {
      const committed = await box.commit(
        ws,
        event.id,
        [effect(event.id)],
        (tx, [applied]) => {
          // On a missing effect only a create, as `createFirst` requires.
          if (applied?.exists) tx.set(effect(event.id), { applications: (applied.get('applications') as number) + 1 });
          else tx.create(effect(event.id), { applications: 1 });
          const ids = messageIds(event, options.messages(event));
          return { record: ids.length > 0 ? { event_id: event.id, message_ids: ids } : undefined, value: 'decided now' };
        },
        undefined,
        { createFirst: options.createFirst },
      );
      if (committed.record) await box.publish(ws, event.id, committed.record, event.id);
      return committed;
    },
    recover: (replay: Envelope) =>
      box.recover(replay, (replayedId) => replayedId, options.claim ? { event_id: replay.id, message_ids: [] } : undefined),
  };
}

const recordOf = async (ws: string, eventId: string) =>
  (await workspace(ws).collection(COLLECTION).doc(eventId).get()).data() as TestRecord | undefined;
const applications = async (ws: string) =>
  new Map((await workspace(ws).collection('test_effects').get()).docs.map((d) => [d.id, d.get('applications') as number]));
const replayOf = (e: Envelope, key: string): Envelope =>
  ({
    ...e,
    id: `${e.id}_replay_${key}`,
    metadata: { ...e.metadata, source: 'replay', replay_of: e.id, replay_of_entry: e.id, replay_origin: 'webhook' },
  }) as Envelope;

let tap: TopicTap<Sent>;
beforeAll(async () => {
  tap = await tapTopic<Sent>(TOPIC);
});
const sentIn = async (ws: string): Promise<PulledMessage<Sent>[]> => (await tap.drain()).filter((m) => m.attributes.workspace_id === ws);

/** Every message id at least once, and each copy of an id identical (data and attributes). */
function expectEachOnceOrMore(sent: PulledMessage<Sent>[], ids: string[]) {
  const byId = new Map(sent.map((m) => [m.attributes.message_id, m]));
  expect([...byId.keys()].sort()).toEqual([...ids].sort());
  for (const m of sent) expect(m).toEqual(byId.get(m.attributes.message_id));
}

describe('outbox: duplicates', () => {
  it('applies each event once and sends each message under its one id when every event is delivered twice, shuffled', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_tg', platform: 'telegram' });
    const events = Array.from({ length: 6 }, (_, i) => b.message({ user: `u${i}`, at: at(i), rawId: `m${i}` }));
    // The last event sends nothing: it records nothing either.
    const count = (e: Envelope) => (e.id === events[5]!.id ? 0 : 2);
    const sub = subscriber(ws, { messages: count });

    const results = [];
    for (const e of shuffled([...events, ...events], 11)) results.push({ id: e.id, committed: await sub.deliver(e) });

    // Each event was decided by its first delivery only; the second found the record.
    for (const e of events) {
      const mine = results.filter((r) => r.id === e.id).map((r) => r.committed.found);
      expect(mine).toEqual(count(e) > 0 ? [false, true] : [false, false]);
    }
    // An event that records nothing is decided again by every delivery: its effect must be idempotent by
    // itself (contacts' reducers are), the outbox only guards effects that record something.
    expect(await applications(ws)).toEqual(new Map(events.map((e) => [e.id, count(e) > 0 ? 1 : 2])));
    for (const e of events.slice(0, 5))
      expect(await recordOf(ws, e.id)).toMatchObject({ event_id: e.id, published: true, message_ids: messageIds(e, 2) });
    expect(await recordOf(ws, events[5]!.id)).toBeUndefined();
    const sent = await sentIn(ws);
    expectEachOnceOrMore(
      sent,
      events.slice(0, 5).flatMap((e) => messageIds(e, 2)),
    );
    // Sequential duplicates find the record marked: nothing is sent twice.
    expect(sent).toHaveLength(10);
    for (const m of sent) expect(m.attributes.context).toBe(m.data.event_id);
  });

  it('applies each event once under concurrent duplicates in shuffled order, and sends each message at least once with the same id', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_line', platform: 'line' });
    const events = Array.from({ length: 4 }, (_, i) => b.message({ user: `U${i}`, at: at(i), rawId: `c${i}` }));
    const sub = subscriber(ws, { messages: () => 3 });

    const results = await Promise.all(shuffled([...events, ...events, ...events], 5).map((e) => sub.deliver(e)));

    expect(results.filter((r) => !r.found)).toHaveLength(events.length);
    expect(await applications(ws)).toEqual(new Map(events.map((e) => [e.id, 1])));
    for (const e of events) expect(await recordOf(ws, e.id)).toMatchObject({ published: true });
    expectEachOnceOrMore(
      await sentIn(ws),
      events.flatMap((e) => messageIds(e, 3)),
    );
  });
});

describe('outbox: createFirst (decide on missing documents, commit as a batch without reading)', () => {
  it('applies each event once under concurrent and later duplicates: a batch that finds anything falls back to the transaction', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_line', platform: 'line' });
    const events = Array.from({ length: 4 }, (_, i) => b.message({ user: `U${i}`, at: at(i), rawId: `f${i}` }));
    const sub = subscriber(ws, { messages: () => 2, createFirst: true });

    const concurrent = await Promise.all(shuffled([...events, ...events, ...events], 7).map((e) => sub.deliver(e)));
    const later = await Promise.all(events.map((e) => sub.deliver(e)));

    expect(concurrent.filter((r) => !r.found)).toHaveLength(events.length);
    expect(later.every((r) => r.found)).toBe(true);
    expect(await applications(ws)).toEqual(new Map(events.map((e) => [e.id, 1])));
    for (const e of events) expect(await recordOf(ws, e.id)).toMatchObject({ published: true, message_ids: messageIds(e, 2) });
    expectEachOnceOrMore(
      await sentIn(ws),
      events.flatMap((e) => messageIds(e, 2)),
    );
  });
});

describe('outbox: crash between commit and publish', () => {
  it('keeps the record pending when the send fails once, and the redelivery sends it under the same ids and marks it', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ms', platform: 'messenger' });
    const hello = b.message({ user: 'P1', at: at(0), rawId: 'crash' });
    const sub = subscriber(ws, { messages: () => 2, failures: 1 });

    await expect(sub.deliver(hello)).rejects.toThrow('simulated crash after commit');
    expect(await recordOf(ws, hello.id)).toMatchObject({ published: false, message_ids: messageIds(hello, 2) });
    expect(await recordOf(ws, hello.id)).not.toHaveProperty('published_at');
    expect((await workspace(ws).collection('test_marks').doc(hello.id).get()).exists).toBe(false);
    expect(await applications(ws)).toEqual(new Map([[hello.id, 1]]));

    const redelivered = await sub.deliver(hello);
    expect(redelivered.found).toBe(true);
    expect(await recordOf(ws, hello.id)).toMatchObject({ published: true, published_at: expect.any(String) });
    // Marked in one batch with the published mark.
    expect((await workspace(ws).collection('test_marks').doc(hello.id).get()).exists).toBe(true);
    expect(await sub.deliver(hello)).toMatchObject({ found: true, record: { published: true } });
    expect(await applications(ws)).toEqual(new Map([[hello.id, 1]]));

    // The failed attempt may have sent one of the two before it failed; the redelivery sends both again.
    const sent = await sentIn(ws);
    expectEachOnceOrMore(sent, messageIds(hello, 2));
    expect(sent.length).toBeLessThanOrEqual(3);
  });

  it('keeps each record for retentionDays (expire_at, the TTL field)', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_wa', platform: 'whatsapp' });
    const hi = b.message({ user: '5511', at: at(0), rawId: 'ttl' });
    await subscriber(ws, { messages: () => 1 }).deliver(hi);
    const record = await recordOf(ws, hi.id);
    expect((record?.expire_at as Timestamp).toMillis() - Date.parse(record!.created_at)).toBe(3 * DAY_MS);
    await sentIn(ws);
  });
});

describe('outbox: recovery by a replay', () => {
  it('sends what every failed delivery left pending, once, and the replay delivered again sends nothing', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ig', platform: 'instagram' });
    const hello = b.message({ user: 'IG1', at: at(0), rawId: 'stranded' });
    const outage = subscriber(ws, { messages: () => 2, failures: Infinity });
    for (let attempt = 1; attempt <= 3; attempt++) await expect(outage.deliver(hello)).rejects.toThrow();
    expect(await sentIn(ws)).toEqual([]);

    const sub = subscriber(ws, { messages: () => 2 });
    expect(await sub.recover(hello)).toBeUndefined(); // not a replay
    const replay = replayOf(hello, 'a');
    expect(await sub.recover(replay)).toMatchObject({ event_id: hello.id, message_ids: messageIds(hello, 2) });
    expect(await recordOf(ws, hello.id)).toMatchObject({ published: true });
    const sent = await sentIn(ws);
    expectEachOnceOrMore(sent, messageIds(hello, 2));
    expect(sent).toHaveLength(2);
    // Sent with the context the replayed event's own delivery would have used.
    for (const m of sent) expect(m.attributes.context).toBe(hello.id);

    expect(await sub.recover(replay)).toBeUndefined();
    expect(await sentIn(ws)).toEqual([]);
    expect(await applications(ws)).toEqual(new Map([[hello.id, 1]]));
  });

  it("with `claim`, makes the recovery the replay's own effect: concurrent deliveries of the replay decide nothing of their own", async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_tg', platform: 'telegram' });
    const hello = b.message({ user: 'T1', at: at(0), rawId: 'claimed' });
    const outage = subscriber(ws, { messages: () => 1, failures: Infinity });
    await expect(outage.deliver(hello)).rejects.toThrow();

    const sub = subscriber(ws, { messages: () => 1, claim: true });
    const replay = replayOf(hello, 'b');
    const handle = async (e: Envelope) => (await sub.recover(e)) ?? (await sub.deliver(e));
    await Promise.all([handle(replay), handle(replay), handle(replay)]);

    expect(await recordOf(ws, replay.id)).toMatchObject({
      event_id: replay.id,
      message_ids: [],
      published: true,
      recovered_event_id: hello.id,
    });
    expect(await recordOf(ws, hello.id)).toMatchObject({ published: true });
    // The replay's effect was never applied: its deliveries found its claimed record.
    expect(await applications(ws)).toEqual(new Map([[hello.id, 1]]));
    expectEachOnceOrMore(await sentIn(ws), messageIds(hello, 1));
  });

  it('with `claim`, leaves a replay that already decided for itself alone', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_tg', platform: 'telegram' });
    const hello = b.message({ user: 'T2', at: at(0), rawId: 'late' });
    const replay = replayOf(hello, 'c');
    const sub = subscriber(ws, { messages: () => 1, claim: true });
    // The replay's first delivery found nothing stranded and decided for itself ...
    await sub.deliver(replay);
    // ... then the original's stranded record appeared (its delivery was still running).
    const outage = subscriber(ws, { messages: () => 1, failures: Infinity });
    await expect(outage.deliver(hello)).rejects.toThrow();

    expect(await sub.recover(replay)).toBeUndefined();
    expect(await recordOf(ws, hello.id)).toMatchObject({ published: false });
    expect(await recordOf(ws, replay.id)).not.toHaveProperty('recovered_event_id');
    expectEachOnceOrMore(await sentIn(ws), messageIds(replay, 1));
  });
});
