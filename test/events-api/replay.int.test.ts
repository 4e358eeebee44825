/**
 * Replay: one event and a filtered set become new, linked events on the
 * events topic that consumers process again. A stored webhook body goes
 * through the current normalizer (a fixed mapping repairs the old event);
 * events without one are republished from their envelope.
 */
import * as functions from '@google-cloud/functions-framework';
import type { Message } from '@google-cloud/pubsub';
import { envelopeConsumer } from '../../shared/runtime/consumer';
import type { Envelope } from '../../shared/envelope';
import { createEnvelopePublisher } from '../../shared/envelope/publish';
import { getFirestore } from '../../shared/runtime/gcp';
import { eventLogRef } from '../../shared/event-log/outcomes';
import { createEventsApi } from '../../shared/events-api/app';
import type { RawView } from '../../shared/events-api/present';
import { internalEnvelope } from '../../shared/events-api/internal-events';
import { renormalizeWith } from '../../shared/events-api/renormalize';
import { normalize } from '../../shared/normalize/normalize';
import { staticRouter } from '../../shared/normalize/router';
import { rawAttributes } from '../../shared/contracts/raw-message';
import { collect, createTopic, listen, push, pushSubscription, type Running } from '../event-log/support';
import { uniqueName } from '../helpers/names';
import { waitFor } from '../helpers/wait';
import { checkAnswersConform } from '../helpers/openapi-conformance';
import '../../functions/event-log';

const conformance = checkAnswersConform();

const ws = uniqueName('ws_replay');
const bulkWs = uniqueName('ws_bulk');
const topic = uniqueName('events-replay').replace(/_/g, '-');
const jobsTopic = uniqueName('replay-jobs').replace(/_/g, '-');
const route = { workspaceId: ws, blockId: 'blk_tg' };
const processed: string[] = [];

/** A GET /workspaces/{ws}/events/{id} answer: what the tests read by property, typed; the rest is matched whole. */
type EventDetail = Record<string, unknown> & { raw: RawView; consumers: Record<string, unknown> };

functions.http(
  'replayApi',
  createEventsApi({
    publisher: () => createEnvelopePublisher(topic),
    renormalize: renormalizeWith(() => staticRouter(route)),
    jobsTopic,
  }),
);
functions.http(
  'replayContacts',
  envelopeConsumer('contacts', async (e) => {
    processed.push(e.id);
  }),
);
functions.http(
  'replayTriggers',
  envelopeConsumer('triggers', async () => undefined),
);

let eventLog: Running;
let api: Running;
let contacts: Running;
let triggers: Running;
let published: { messages: Message[]; stop(): Promise<void> };

beforeAll(async () => {
  [eventLog, api, contacts, triggers] = await Promise.all([
    listen('eventLog'),
    listen('replayApi'),
    listen('replayContacts'),
    listen('replayTriggers'),
  ]);
  conformance.watch(api.url);
  await Promise.all([createTopic(topic), createTopic(jobsTopic)]);
  await Promise.all([
    pushSubscription(`${jobsTopic}-run`, jobsTopic, api.url),
    pushSubscription(`${topic}-log`, topic, eventLog.url),
    pushSubscription(`${topic}-contacts`, topic, contacts.url),
    pushSubscription(`${topic}-triggers`, topic, triggers.url),
  ]);
  published = await collect(topic, `${topic}-watch`);
});
afterAll(async () => {
  await published.stop();
  await Promise.all([eventLog, api, contacts, triggers].map((s) => s.close()));
});

const db = () => getFirestore();
const entry = async (w: string, id: string) => (await eventLogRef(db(), w, id).get()).data();
const publishedEnvelope = (id: string) =>
  waitFor(`event ${id} on the topic`, async () => {
    const m = published.messages.find((msg) => msg.attributes.event_id === id);
    return m ? (JSON.parse(m.data.toString()) as Envelope) : undefined;
  });
const settled = (w: string, id: string) =>
  waitFor(`entry ${id} processed`, async () => {
    const d = await entry(w, id);
    return d?.kind && d.status === 'success' ? d : undefined;
  });

describe('replay', () => {
  it('runs a stored webhook body through the current normalizer into a new, linked event that consumers process again', async () => {
    const body = JSON.stringify({
      update_id: Date.now(),
      message: {
        message_id: 5,
        from: { id: 42, is_bot: false, first_name: 'Ann' },
        chat: { id: 42, type: 'private', first_name: 'Ann' },
        date: 1775000000,
        text: 'hello',
      },
    });
    const attributes = rawAttributes({
      platform: 'telegram',
      kind: 'webhook',
      received_at: '2026-04-01T00:00:00.000Z',
      request_id: uniqueName('req'),
      content_type: 'application/json',
      workspace_id: ws,
      block_id: 'blk_tg',
    });
    // The body reaches the log's raw store as it does from webhook-raw.
    expect((await push(eventLog.url, { data: body, attributes }, 'event-log-raw')).status).toBe(204);
    // The event as an older normalizer mapped it: wrong text.
    const [current] = (
      await normalize(
        {
          platform: 'telegram',
          kind: 'webhook',
          body,
          receivedAt: attributes.received_at,
          requestId: attributes.request_id,
          blockId: 'blk_tg',
          workspaceId: ws,
        },
        staticRouter(route),
      )
    ).envelopes;
    const original = {
      ...current,
      data: { ...current!.data, message: { ...(current!.data as { message: object }).message, text: 'OLD MAPPING' } },
    } as Envelope;
    await createEnvelopePublisher(topic).publish(original);
    await settled(ws, original.id);

    const res = await fetch(`${api.url}/workspaces/${ws}/events/${original.id}/replay`, { method: 'POST' });
    expect(res.status).toBe(202);
    const outcome = (await res.json()) as { mode: string; event_ids: string[]; replay_of: string };
    expect(outcome).toMatchObject({ mode: 'renormalized', replay_of: original.id });
    expect(outcome.event_ids).toHaveLength(1);
    const newId = outcome.event_ids[0] as string;
    expect(newId).not.toBe(original.id);

    const replayed = await publishedEnvelope(newId);
    expect(replayed.metadata).toMatchObject({
      source: 'replay',
      replay_of: original.id,
      replay_of_entry: original.id,
      replay_origin: 'webhook',
      raw_platform_event_id: original.metadata.raw_platform_event_id,
    });
    expect((replayed.data as { message: { text: string } }).message.text).toBe('hello');

    const logged = await settled(ws, newId);
    expect(logged.replay_of).toBe(original.id);
    expect(processed).toContain(newId);
    expect((await entry(ws, original.id))?.replays).toEqual([newId]);

    const detail = (await (await fetch(`${api.url}/workspaces/${ws}/events/${original.id}`)).json()) as EventDetail;
    expect(detail).toMatchObject({ id: original.id, replays: [newId], status: 'success', envelope: original });
    expect(detail.raw).toMatchObject({ available: true, payload: JSON.parse(body) });
    expect(Object.keys(detail.consumers).sort()).toEqual(['contacts', 'triggers']);
    const back = (await (await fetch(`${api.url}/workspaces/${ws}/events/${newId}`)).json()) as Record<string, unknown>;
    expect(back).toMatchObject({ replay_of: original.id, source: 'replay' });
  });

  it('republishes the envelope of an event no webhook carried', async () => {
    const original = internalEnvelope(
      ws,
      { type: 'crm.deal.created', data: { deal: { id: 'd1', stage: 'lead' } } },
      uniqueName('key'),
      new Date(),
    );
    await createEnvelopePublisher(topic).publish(original);
    await settled(ws, original.id);
    const res = await fetch(`${api.url}/workspaces/${ws}/events/${original.id}/replay`, {
      method: 'POST',
      headers: { 'Idempotency-Key': 'same' },
    });
    const outcome = (await res.json()) as { mode: string; event_ids: string[] };
    expect(res.status).toBe(202);
    expect(outcome.mode).toBe('envelope');
    const replayed = await publishedEnvelope(outcome.event_ids[0] as string);
    expect(replayed.metadata).toMatchObject({
      source: 'replay',
      replay_of: original.id,
      replay_of_entry: original.id,
      replay_origin: 'internal',
    });
    // Otherwise the very envelope that was published.
    const { replay_of: _of, replay_of_entry: _entry, replay_origin: _origin, ...metadata } = replayed.metadata;
    expect({ ...replayed, id: original.id, metadata: { ...metadata, source: 'internal' } }).toEqual(original);
    // The same Idempotency-Key is the same replay: same id, consumers dedupe.
    const again = (await (
      await fetch(`${api.url}/workspaces/${ws}/events/${original.id}/replay`, { method: 'POST', headers: { 'Idempotency-Key': 'same' } })
    ).json()) as { event_ids: string[] };
    expect(again.event_ids).toEqual(outcome.event_ids);
    expect((await entry(ws, original.id))?.replays).toEqual(outcome.event_ids);
  });

  it('replays a filtered set as a job whose progress can be read back', async () => {
    const orders = [1, 2, 3].map((n) =>
      internalEnvelope(
        bulkWs,
        {
          type: 'commerce.order.created',
          timestamp: `2026-04-0${n}T00:00:00.000Z`,
          data: { order: { id: `o${n}`, status: 'created', items: [] } },
        },
        `order-${n}`,
        new Date(),
      ),
    );
    const other = internalEnvelope(bulkWs, { type: 'platform.block.connected', data: {} }, 'connected', new Date());
    for (const e of [...orders, other]) await createEnvelopePublisher(topic).publish(e);
    for (const e of [...orders, other]) await settled(bulkWs, e.id);

    const tooMany = await fetch(`${api.url}/workspaces/${bulkWs}/replays`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filter: { type: 'commerce.*' }, max_events: 2 }),
    });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ code: 'too_many_events' });

    const res = await fetch(`${api.url}/workspaces/${bulkWs}/replays`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filter: { type: 'commerce.*' } }),
    });
    expect(res.status).toBe(202);
    type Job = { job_id: string; status: string; total: number; replayed: number; results: Record<string, { event_ids: string[] }> };
    const queued = (await res.json()) as Job;
    const job = await waitFor(`job ${queued.job_id} completed`, async () => {
      const read = (await (await fetch(`${api.url}/workspaces/${bulkWs}/replays/${queued.job_id}`)).json()) as Job;
      return read.status === 'completed' ? read : undefined;
    });
    expect(job).toMatchObject({ status: 'completed', total: 3, replayed: 3, failed: 0 });
    expect(Object.keys(job.results).sort()).toEqual(orders.map((o) => o.id).sort());
    expect(res.headers.get('location')).toBe(`/workspaces/${bulkWs}/replays/${job.job_id}`);

    for (const order of orders) {
      const [newId] = job.results[order.id]!.event_ids;
      const replayed = await publishedEnvelope(newId as string);
      expect(replayed.metadata).toMatchObject({ replay_of: order.id, source: 'replay' });
      expect((await settled(bulkWs, newId as string)).replay_of).toBe(order.id);
      expect(processed).toContain(newId);
      expect((await entry(bulkWs, order.id))?.replays).toEqual([newId]);
    }
    expect((await entry(bulkWs, other.id))?.replays).toBeUndefined();

    const read = await fetch(`${api.url}/workspaces/${bulkWs}/replays/${job.job_id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ job_id: job.job_id, status: 'completed', done: 3 });
    expect((await fetch(`${api.url}/workspaces/${ws}/replays/${job.job_id}`)).status).toBe(404);
  }, 60_000);

  it('refuses a bad bulk request with the reason', async () => {
    const post = (body: unknown) =>
      fetch(`${api.url}/workspaces/${bulkWs}/replays`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(await (await post({ filter: { status: 'maybe' } })).json()).toMatchObject({ code: 'invalid_parameter' });
    expect((await post({ max_events: 501 })).status).toBe(400);
    expect(await (await post({ everything: true })).json()).toMatchObject({ code: 'unknown_parameter' });
  });
});
