/**
 * What envelopeConsumer (shared/runtime/consumer.ts) acks and what it nacks, through
 * its HTTP function with Pub/Sub push bodies on the emulators: bytes that can
 * never become an envelope are acked with a logged reason; an envelope this
 * bundle's schema rejects (a field or type from a newer normalizer) is nacked,
 * reported as retrying, and bounded by the dead-letter policy.
 */
import { http } from '@google-cloud/functions-framework';
import { envelopeConsumer } from '../shared/runtime/consumer';
import type { Envelope } from '../shared/envelope';
import { eventLogRef } from '../shared/event-log/outcomes';
import { getFirestore } from '../shared/runtime/gcp';
import { createLogger } from '../shared/runtime/log';
import { toPushBody } from '../shared/contracts/pubsub-push';
import { collect, createTopic, listen, pubsub, pushSubscription, type Running } from './event-log/support';
import { testEnvelopes } from './helpers/envelopes';
import { uniqueName } from './helpers/names';
import { waitFor } from './helpers/wait';

const handled: string[] = [];
const lines: Record<string, unknown>[] = [];
const logger = createLogger({ component: 'contacts' }, { level: 'INFO', format: 'json', write: (l) => lines.push(JSON.parse(l)) });
http(
  'consumerUnderTest',
  envelopeConsumer('contacts', async (e) => void handled.push(e.id), { logger }),
);

/** For the settling consumer: each event's bookkeeping, finished (or failed) by the test. */
const settlings = new Map<string, { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void }>();
function settlingOf(id: string) {
  if (!settlings.has(id)) {
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    settlings.set(id, { promise, resolve, reject });
  }
  return settlings.get(id)!;
}
http(
  'settlingConsumer',
  envelopeConsumer('triggers', async (e) => ({ settling: settlingOf(e.id).promise }), { logger }),
);

let consumer: Running;
let settling: Running;
beforeAll(async () => {
  consumer = await listen('consumerUnderTest');
  settling = await listen('settlingConsumer');
});
afterAll(async () => {
  await consumer?.close();
  await settling?.close();
});

async function deliver(data: string, attempt = 1, url = consumer.url): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(toPushBody({ data }, 'contacts', attempt)),
  });
  await res.arrayBuffer();
  return res.status;
}

const ws = uniqueName('ws_consumer');
const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ig', platform: 'instagram' });
/** An envelope as a newer normalizer might emit it: a field this bundle's schema does not allow (additionalProperties: false). */
const withNewField = (e: Envelope) => JSON.stringify({ ...e, data: { ...e.data, sentiment: 'positive' } });
const withNewType = (e: Envelope) => JSON.stringify({ ...e, type: 'messaging.message.translated' });
const isNack = (status: number) => status < 200 || status >= 300;

describe('envelopeConsumer: what can never succeed is acked, with its reason', () => {
  it.each([
    ['bytes that are not JSON', '{"id":"evt_1",', 'not_json'],
    ['JSON that is not an object', '[1,2,3]', 'not_an_envelope'],
    ['an object with no envelope identity', '{"hello":"world"}', 'not_an_envelope'],
    [
      'an id that is no event id',
      JSON.stringify({ id: 'nope', type: 'messaging.message.received', workspace_id: 'ws_x' }),
      'not_an_envelope',
    ],
  ])('acks %s', async (_name, data, reason) => {
    const before = handled.length;
    expect(await deliver(data)).toBe(204);
    expect(handled.length).toBe(before);
    expect(lines).toContainEqual(expect.objectContaining({ severity: 'ERROR', outcome: 'rejected', reason }));
  });
});

describe('envelopeConsumer: a schema violation is nacked, so a newer bundle or the dead letter settles it', () => {
  it.each([
    ['a field this bundle does not know', withNewField],
    ['a type this bundle does not know', withNewType],
  ])('nacks an envelope with %s on every delivery, reports it retrying and logs why', async (_name, mutate) => {
    const envelope = b.message({ user: 'u1', at: '2026-03-31T10:00:00.000Z', text: 'hi' });
    const data = mutate(envelope);

    for (const attempt of [1, 2]) expect(isNack(await deliver(data, attempt))).toBe(true);

    expect(handled).not.toContain(envelope.id);
    expect(lines).toContainEqual(
      expect.objectContaining({
        severity: 'WARNING',
        outcome: 'retrying',
        reason: 'schema_violation',
        event_id: envelope.id,
        workspace_id: ws,
        attempt: 2,
      }),
    );
    const entry = (await eventLogRef(getFirestore(), ws, envelope.id).get()).data();
    expect(entry?.consumers?.contacts).toMatchObject({
      status: 'retrying',
      attempt: 2,
      error: expect.stringContaining('schema violation'),
    });
  });

  it('still processes the same event once it validates (the rollout finished)', async () => {
    const envelope = b.message({ user: 'u2', at: '2026-03-31T10:00:00.000Z', text: 'hi' });
    expect(isNack(await deliver(withNewField(envelope), 1))).toBe(true);
    expect(await deliver(JSON.stringify(envelope), 2)).toBe(204);
    expect(handled).toContain(envelope.id);
    const entry = (await eventLogRef(getFirestore(), ws, envelope.id).get()).data();
    expect(entry?.consumers?.contacts).toMatchObject({ status: 'success', attempt: 2 });
  });

  it('ends in the dead-letter topic after max_delivery_attempts when no bundle accepts it', async () => {
    const topic = uniqueName('events-schema').replace(/_/g, '-');
    const deadLetters = `${topic}-dead`;
    await Promise.all([createTopic(topic), createTopic(deadLetters)]);
    const parked = await collect(deadLetters, `${deadLetters}-tap`);
    try {
      await pushSubscription(`${topic}-contacts`, topic, consumer.url, { topic: deadLetters, maxDeliveryAttempts: 5 });
      const envelope = b.message({ user: 'u3', at: '2026-03-31T10:00:00.000Z', text: 'hi' });
      await pubsub()
        .topic(topic)
        .publishMessage({ data: Buffer.from(withNewField(envelope)) });

      const dead = await waitFor(
        'the dead letter',
        async () => parked.messages.find((m) => JSON.parse(m.data.toString()).id === envelope.id),
        { timeoutMs: 45_000 },
      );
      expect(dead.attributes.CloudPubSubDeadLetterSourceSubscription).toBe(`${topic}-contacts`);
      expect(handled).not.toContain(envelope.id);
    } finally {
      await parked.stop();
    }
  }, 60_000);
});

describe('envelopeConsumer: bookkeeping a handler leaves settling runs alongside the outcome report', () => {
  it('acks only once it settled, with the success reported', async () => {
    const envelope = b.message({ user: 'u4', at: '2026-03-31T10:00:00.000Z', text: 'hi' });
    let answered = false;
    const status = deliver(JSON.stringify(envelope), 1, settling.url).then((s) => ((answered = true), s));
    // The report lands while the bookkeeping is still under way, and the delivery waits for the bookkeeping.
    await waitFor('the success report', async () =>
      (await eventLogRef(getFirestore(), ws, envelope.id).get()).get('consumers.triggers.status') === 'success' ? true : undefined,
    );
    expect(answered).toBe(false);
    settlingOf(envelope.id).resolve();
    expect(await status).toBe(204);
  });

  it('nacks when the bookkeeping fails, and the redelivery that finishes it is acked', async () => {
    const envelope = b.message({ user: 'u5', at: '2026-03-31T10:00:00.000Z', text: 'hi' });
    settlingOf(envelope.id).reject(new Error('mark failed'));
    expect(isNack(await deliver(JSON.stringify(envelope), 1, settling.url))).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ event_id: envelope.id, outcome: 'retrying', error: expect.anything() }));
    settlings.delete(envelope.id);
    settlingOf(envelope.id).resolve();
    expect(await deliver(JSON.stringify(envelope), 2, settling.url)).toBe(204);
    const entry = (await eventLogRef(getFirestore(), ws, envelope.id).get()).data();
    expect(entry?.consumers?.triggers).toMatchObject({ status: 'success', attempt: 2 });
  });
});
