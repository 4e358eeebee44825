/**
 * The event log's processing status as the dashboard shows it: success with
 * the linked execution, retrying (attempt + last error) then success, failed
 * after a dead letter (through the emulator's real dead-letter policy, and
 * as Pub/Sub forwards one in production), 30-day expiry, idempotent rewrites.
 */
import * as functions from '@google-cloud/functions-framework';
import { Timestamp } from '@google-cloud/firestore';
import { envelopeConsumer } from '../../shared/runtime/consumer';
import { createEnvelopePublisher } from '../../shared/envelope/publish';
import { executionId, type Envelope } from '../../shared/envelope';
import { getFirestore } from '../../shared/runtime/gcp';
import { createEventLogHandler } from '../../shared/event-log/handler';
import { eventLogRef, reportOutcome } from '../../shared/event-log/outcomes';
import { createTopic, envelopeAttributes, listen, messageEnvelope, push, pushSubscription, type Running } from './support';
import { uniqueName } from '../helpers/names';
import { waitFor } from '../helpers/wait';
import '../../functions/event-log';

const ws = uniqueName('ws_status');
const db = () => getFirestore();
const DAY = 24 * 60 * 60 * 1000;

// Consumers under test: the names EXPECTED_CONSUMERS takes from topology.json.
let failTriggers = 0;
functions.http(
  'statusContacts',
  envelopeConsumer('contacts', async () => undefined),
);
functions.http(
  'statusTriggers',
  envelopeConsumer('triggers', async (e) => {
    if (failTriggers > 0) {
      failTriggers -= 1;
      throw new Error('workflow store unavailable');
    }
    return { execution_ids: [executionId(e.workspace_id, 'wf_welcome', e.id)] };
  }),
);

let eventLog: Running;
let contacts: Running;
let triggers: Running;

beforeAll(async () => {
  [eventLog, contacts, triggers] = await Promise.all([listen('eventLog'), listen('statusContacts'), listen('statusTriggers')]);
});
afterAll(async () => {
  await Promise.all([eventLog, contacts, triggers].map((s) => s?.close()));
});

const entry = async (id: string) => (await eventLogRef(db(), ws, id).get()).data();

/** `envelope` forwarded to the log as Pub/Sub forwards a dead letter from `sourceSubscription` after 10 attempts. */
const pushDeadLetter = (envelope: Envelope, sourceSubscription: string) =>
  push(
    eventLog.url,
    {
      data: JSON.stringify(envelope),
      attributes: {
        ...envelopeAttributes(envelope),
        CloudPubSubDeadLetterSourceSubscription: sourceSubscription,
        CloudPubSubDeadLetterSourceSubscriptionProject: 'convotic-test',
        CloudPubSubDeadLetterSourceDeliveryCount: '10',
      },
    },
    'event-log-events-dead-letter',
  );

describe('event log status', () => {
  it('reads success with the Workflow execution linked once every consumer succeeded, and expires 30 days after the event', async () => {
    const topic = uniqueName('events-ok').replace(/_/g, '-');
    await createTopic(topic);
    await Promise.all([
      pushSubscription(`${topic}-log`, topic, eventLog.url),
      pushSubscription(`${topic}-contacts`, topic, contacts.url),
      pushSubscription(`${topic}-triggers`, topic, triggers.url),
    ]);
    const envelope = messageEnvelope({ workspaceId: ws, rawId: uniqueName('mid'), at: '2026-03-31T10:15:30.000Z' });
    await createEnvelopePublisher(topic).publish(envelope);

    const done = await waitFor('status success', async () => {
      const d = await entry(envelope.id);
      return d?.status === 'success' && d.kind ? d : undefined;
    });
    expect(done.execution_ids).toEqual([executionId(ws, 'wf_welcome', envelope.id)]);
    expect(Object.keys(done.consumers).sort()).toEqual(['contacts', 'triggers']);
    expect(done).toMatchObject({
      platform: 'instagram',
      type: 'messaging.message.received',
      type_domain: 'messaging',
      type_entity: 'messaging.message',
      block_id: 'blk_ig',
    });
    expect(done.contact_id).toBe((envelope.data as { contact_id: string }).contact_id);
    expect((done.timestamp as Timestamp).toDate().toISOString()).toBe('2026-03-31T10:15:30.000Z');
    expect((done.expire_at as Timestamp).toMillis() - Date.parse('2026-03-31T10:15:30.000Z')).toBe(30 * DAY);
    expect(JSON.parse(done.envelope_json)).toEqual(envelope);
  });

  it('shows retrying with the attempt and last error while a consumer fails, then success', async () => {
    const envelope = messageEnvelope({ workspaceId: ws, rawId: uniqueName('mid'), at: '2026-04-01T08:00:00.000Z' });
    const message = { data: JSON.stringify(envelope), attributes: envelopeAttributes(envelope) };
    expect((await push(eventLog.url, message, 'event-log')).status).toBe(204);
    expect((await push(contacts.url, message, 'contacts')).status).toBe(204);
    failTriggers = 1;
    expect((await push(triggers.url, message, 'triggers', 1)).status).toBe(500);

    const retrying = await entry(envelope.id);
    expect(retrying?.status).toBe('retrying');
    expect(retrying?.consumers.triggers).toMatchObject({ status: 'retrying', attempt: 1, error: 'workflow store unavailable' });
    expect(retrying?.last_error).toMatchObject({ consumer: 'triggers', attempt: 1, error: 'workflow store unavailable' });

    expect((await push(triggers.url, message, 'triggers', 2)).status).toBe(204);
    const after = await entry(envelope.id);
    expect(after?.status).toBe('success');
    expect(after?.consumers.triggers).toMatchObject({ status: 'success', attempt: 2 });
    expect(after?.execution_ids).toEqual([executionId(ws, 'wf_welcome', envelope.id)]);
  });

  it('reads failed once the emulator dead-letters an event a consumer keeps failing on', async () => {
    const name = 'dlLog';
    const topic = uniqueName('events-dl').replace(/_/g, '-');
    const dlTopic = `${topic}-dead`;
    const triggersSub = `${topic}-triggers`;
    // The dead letter names the source subscription; map this test's name to the consumer it feeds.
    functions.http(name, createEventLogHandler({ subscriptionConsumers: { [triggersSub]: 'triggers' } }));
    const dlLog = await listen(name);
    try {
      await Promise.all([createTopic(topic), createTopic(dlTopic)]);
      await pushSubscription(`${dlTopic}-log`, dlTopic, dlLog.url);
      await pushSubscription(`${topic}-log`, topic, dlLog.url);
      await pushSubscription(`${topic}-contacts`, topic, contacts.url);
      failTriggers = Number.MAX_SAFE_INTEGER;
      await pushSubscription(triggersSub, topic, triggers.url, { topic: dlTopic, maxDeliveryAttempts: 5 });
      const envelope = messageEnvelope({ workspaceId: ws, rawId: uniqueName('mid'), at: '2026-04-02T09:00:00.000Z' });
      await createEnvelopePublisher(topic).publish(envelope);

      const failed = await waitFor(
        'status failed',
        async () => {
          const d = await entry(envelope.id);
          return d?.status === 'failed' ? d : undefined;
        },
        { timeoutMs: 45_000 },
      );
      expect(failed.consumers.triggers).toMatchObject({ status: 'failed', attempt: 5, error: 'workflow store unavailable' });
      expect(failed.consumers.contacts).toMatchObject({ status: 'success' });
      expect(failed.kind).toBe('event');
    } finally {
      failTriggers = 0;
      await dlLog.close();
    }
  }, 60_000);

  it('marks the consumer of the source subscription failed for a dead letter forwarded as Pub/Sub does, even before the entry existed', async () => {
    const envelope = messageEnvelope({ workspaceId: ws, rawId: uniqueName('mid'), at: '2026-04-03T09:00:00.000Z' });
    const res = await pushDeadLetter(envelope, 'contacts');
    expect(res.status).toBe(204);
    const d = await entry(envelope.id);
    expect(d).toMatchObject({ status: 'failed', kind: 'event', type: 'messaging.message.received' });
    expect(d?.consumers.contacts).toMatchObject({ status: 'failed', attempt: 10 });
  });

  it("writes the entry of a dead letter from the log's own subscription without marking the event failed", async () => {
    const envelope = messageEnvelope({ workspaceId: ws, rawId: uniqueName('mid'), at: '2026-04-03T10:00:00.000Z' });
    // Both consumers processed the event; only the log's own delivery kept failing.
    await reportOutcome(db(), { workspace_id: ws, event_id: envelope.id, consumer: 'contacts', status: 'success', attempt: 1 });
    await reportOutcome(db(), { workspace_id: ws, event_id: envelope.id, consumer: 'triggers', status: 'success', attempt: 1 });
    const res = await pushDeadLetter(envelope, 'event-log');
    expect(res.status).toBe(204);
    const d = await entry(envelope.id);
    expect(d).toMatchObject({ status: 'success', kind: 'event', type: 'messaging.message.received' });
    expect(Object.keys(d?.consumers ?? {}).sort()).toEqual(['contacts', 'triggers']);
  });

  it('never clobbers consumer reports that arrived before the entry, and a redelivery rewrites nothing', async () => {
    const envelope = messageEnvelope({ workspaceId: ws, rawId: uniqueName('mid'), at: '2026-04-04T09:00:00.000Z' });
    await reportOutcome(db(), {
      workspace_id: ws,
      event_id: envelope.id,
      consumer: 'triggers',
      status: 'success',
      attempt: 1,
      execution_ids: ['exe_early'],
    });
    await reportOutcome(db(), { workspace_id: ws, event_id: envelope.id, consumer: 'contacts', status: 'success', attempt: 1 });
    const message = { data: JSON.stringify(envelope), attributes: envelopeAttributes(envelope) };
    expect((await push(eventLog.url, message, 'event-log')).status).toBe(204);
    const first = await eventLogRef(db(), ws, envelope.id).get();
    expect(first.data()).toMatchObject({ status: 'success', execution_ids: ['exe_early'], kind: 'event' });
    expect((first.get('expire_at') as Timestamp).toMillis()).toBe(Date.parse('2026-04-04T09:00:00.000Z') + 30 * DAY);

    expect((await push(eventLog.url, message, 'event-log')).status).toBe(204);
    const second = await eventLogRef(db(), ws, envelope.id).get();
    expect(second.updateTime?.isEqual(first.updateTime!)).toBe(true);
  });
});
