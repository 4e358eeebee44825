/**
 * One reconciliation run's decisions, body by body, on the Firestore emulator
 * (a project of its own, so no other suite's raw messages are read) and a
 * Pub/Sub topic of its own: what "reached the log" means for an event (its
 * entry written and heard of by its consumers), an unroutable item and a body
 * the normalizer gave up on; what is replayed
 * (envelopes published, rejections written), what waits (too young, routing
 * unavailable), and what is given up (too large to keep, still missing after
 * every replay).
 */
import * as functions from '@google-cloud/functions-framework';
import { Firestore } from '@google-cloud/firestore';
import { createEnvelopePublisher, type EnvelopePublisher } from '../../shared/envelope/publish';
import { createEventsApi } from '../../shared/events-api/app';
import { openApiDocument } from '../../shared/events-api/openapi';
import { fromEnvelope, fromRawDeadLetter } from '../../shared/event-log/entry';
import { RAW_MESSAGES } from '../../shared/event-log/raw-store';
import { writeEntry } from '../../shared/event-log/writer';
import { EXPECTED_CONSUMERS, reportOutcome } from '../../shared/event-log/outcomes';
import { renormalizeWith } from '../../shared/events-api/renormalize';
import { normalize } from '../../shared/normalize/normalize';
import { RoutingUnavailableError, type Router } from '../../shared/normalize/router';
import { reconcileConfig } from '../../shared/reconcile/config';
import { reconcileOnce, type ReconcileDeps } from '../../shared/reconcile/run';
import { RECONCILIATIONS } from '../../shared/reconcile/store';
import { isolatedFirestore } from '../helpers/firestore-emulator';
import { bodyState, runDeps, storeBody } from './support';
import { createTopicWithSubscription, type TestTopic } from '../helpers/pubsub-emulator';
import { uniqueName } from '../helpers/names';
import { listen } from '../event-log/support';
import { checkAnswersConform } from '../helpers/openapi-conformance';

/** The events API's answers (the run's summary, a finding) are held to its OpenAPI document. */
const conformance = checkAnswersConform();

const PAGE = '105000000000042';
const ws = uniqueName('ws_rec');
const route = { workspaceId: ws, blockId: 'blk_rec' };
const router: Router = {
  byAccounts: (_platform, ids) => (ids.includes(PAGE) ? route : undefined),
  byBlockId: (id) => (id === route.blockId ? route : undefined),
};
const RECEIVED = new Date('2026-11-30T10:00:00.000Z');
const RUN_AT = new Date(RECEIVED.getTime() + 10 * 60_000);

let db: Firestore;
let topic: TestTopic;
beforeAll(async () => {
  db = isolatedFirestore('reconcile');
  topic = await createTopicWithSubscription('reconcile');
});
afterAll(async () => {
  await db.terminate();
});

const message = (page: string, mid: string) =>
  Buffer.from(
    JSON.stringify({
      object: 'page',
      entry: [
        {
          id: page,
          time: RECEIVED.getTime(),
          messaging: [
            { sender: { id: '6100000000000042' }, recipient: { id: page }, timestamp: RECEIVED.getTime(), message: { mid, text: 'hi' } },
          ],
        },
      ],
    }),
  );

const store = (requestId: string, body: Buffer, receivedAt = RECEIVED) => storeBody(db, requestId, receivedAt, { body });
const stateOf = (id: string) => bodyState(db, id);
const deps = (normalize: ReconcileDeps['normalize'] = renormalizeWith(() => router)): ReconcileDeps =>
  runDeps(db, topic.topic, RUN_AT, normalize).deps;
// Waves of 2 bodies, two at once: the bodies below take several waves, some overlapping.
const config = { ...reconcileConfig({}), minAgeSeconds: 300, maxMessages: 100, maxAttempts: 2, concurrency: 4 };

it('replays what is missing, settles what is logged, and leaves what is young or unroutable for later', async () => {
  const lostEvent = await store('req-lost', message(PAGE, 'm_lost'));
  const lostUnroutable = await store('req-unroutable', message('105999999999999', 'm_unr'));
  const logged = await store('req-logged', message(PAGE, 'm_logged'));
  const stuck = await store('req-stuck', message(PAGE, 'm_stuck'));
  const deadLettered = await store('req-dead', Buffer.from('{"object":"page"'));
  const young = await store('req-young', message(PAGE, 'm_young'), new Date(RUN_AT.getTime() - 60_000));
  const tooLarge = await store('req-large', Buffer.alloc(950_000, 0x20));

  // What the pipeline did write: the event of req-logged (its consumers reported success), the event of
  // req-stuck with no consumer report (its consumers' deliveries were lost), and the dead-letter entry of req-dead.
  const eventOf = async (mid: string) =>
    (await normalize({ platform: 'messenger', kind: 'webhook', body: message(PAGE, mid) }, router)).envelopes[0]!;
  const done = await eventOf('m_logged');
  await writeEntry(db, fromEnvelope(done, { now: RECEIVED, retentionDays: 30 }));
  for (const consumer of EXPECTED_CONSUMERS)
    await reportOutcome(db, { workspace_id: ws, event_id: done.id, consumer, status: 'success', attempt: 1 });
  await writeEntry(db, fromEnvelope(await eventOf('m_stuck'), { now: RECEIVED, retentionDays: 30 }));
  await writeEntry(
    db,
    fromRawDeadLetter(Buffer.from('{"object":"page"'), deadLettered.attrs, { now: RECEIVED, retentionDays: 30 }),
    'failed',
  );

  const summary = await reconcileOnce(deps(), config);
  expect(summary).toMatchObject({ checked: 6, found: 3, events_published: 2, rejections_written: 1 });
  expect(summary.outcomes).toMatchObject({ logged: 2, replayed: 3, unverifiable: 1 });

  const published = await topic.pull(2);
  expect(published.map((m) => JSON.parse(m.data.toString('utf8')).metadata.raw_platform_event_id).sort()).toEqual(['m_lost', 'm_stuck']);
  const unrouted = await db.collection('unrouted_events').where('request_id', '==', 'req-unroutable').get();
  expect(unrouted.docs.map((d) => [d.get('kind'), d.get('status'), d.get('rejection.reason')])).toEqual([
    ['rejected', 'rejected', 'unroutable'],
  ]);

  expect(await stateOf(logged.id)).toBe('logged');
  expect(await stateOf(deadLettered.id)).toBe('logged');
  expect(await stateOf(tooLarge.id)).toBe('unverifiable');
  expect(await stateOf(young.id)).toBe('pending');
  expect(await stateOf(lostEvent.id)).toBe('pending'); // checked again by the next run
  const records = await db.collection(RECONCILIATIONS).get();
  expect(Object.fromEntries(records.docs.map((d) => [d.get('request_id'), d.get('status')]))).toEqual({
    'req-lost': 'replayed',
    'req-stuck': 'replayed',
    'req-unroutable': 'replayed',
    'req-large': 'unverifiable',
  });

  // The unroutable rejection is in the log now: the next run finds that body complete. The lost event never
  // arrives here (nothing consumes the topic), so after RECONCILE_MAX_ATTEMPTS replays it is given up.
  const second = await reconcileOnce(deps(), config);
  expect(second.outcomes).toMatchObject({ recovered: 1, replayed: 2 });
  expect(await stateOf(lostUnroutable.id)).toBe('recovered');
  const third = await reconcileOnce(deps(), config);
  expect(third.outcomes).toMatchObject({ unresolved: 2 });
  expect(await stateOf(stuck.id)).toBe('unresolved');
  expect(await stateOf(lostEvent.id)).toBe('unresolved');
  expect((await db.collection(RECONCILIATIONS).doc(lostEvent.id).get()).get('status')).toBe('unresolved');
  expect((await reconcileOnce(deps(), config)).checked).toBe(0);
});

it('leaves a body pending when routing is unavailable', async () => {
  const { id } = await store(uniqueName('req-blocked'), message(PAGE, uniqueName('m')));
  const blocked = await reconcileOnce(
    deps(async () => {
      throw new RoutingUnavailableError('the Block registry did not answer');
    }),
    config,
  );
  expect(blocked.outcomes.deferred).toBeGreaterThanOrEqual(1);
  expect(await stateOf(id)).toBe('pending');
});

it('defers only the message whose replay fails, and the run still answers 200', async () => {
  const failing = uniqueName('m_fail');
  const lost = await store(uniqueName('req-ok'), message(PAGE, uniqueName('m_ok')));
  const blocked = await store(uniqueName('req-fail'), message(PAGE, failing));
  // The `events` topic refuses this one message's envelope (as an unavailable Pub/Sub would); the others go through.
  const real = createEnvelopePublisher(topic.topic);
  const publisher: EnvelopePublisher = {
    publish: async (e) => {
      if (e.metadata.raw_platform_event_id === failing) throw new Error('14 UNAVAILABLE: pubsub is down');
      return real.publish(e);
    },
  };
  functions.http(
    'reconcileFailingPublishApi',
    createEventsApi({ db: () => db, publisher: () => publisher, renormalize: renormalizeWith(() => router), now: () => RUN_AT }),
  );
  const api = await listen('reconcileFailingPublishApi');
  conformance.watch(api.url);
  try {
    const res = await fetch(`${api.url}/reconciliations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ min_age_seconds: 300 }),
    });
    expect(res.status).toBe(200);
    const summary = (await res.json()) as { outcomes: Record<string, number> };
    // Every field of the answer is described by the document (conformance alone lets undescribed fields through).
    const { components } = openApiDocument() as { components: { schemas: Record<string, { properties: object }> } };
    const described = components.schemas.ReconcileRunSummary!;
    expect(Object.keys(described.properties).sort()).toEqual(Object.keys(summary).sort());
    // (The body the routing test left pending is replayed too: only this one is deferred.)
    expect(summary.outcomes.deferred).toBe(1);
    // The failed one is pending and unrecorded, so the next run replays it with the same ids; the other was replayed.
    expect(await stateOf(blocked.id)).toBe('pending');
    expect((await fetch(`${api.url}/reconciliations/${blocked.id}`)).status).toBe(404);
    const found = await fetch(`${api.url}/reconciliations/${lost.id}`);
    expect(found.status).toBe(200);
    expect(await found.json()).toMatchObject({ id: lost.id, status: 'replayed', missing_events: 1, attempts: 1 });
  } finally {
    await api.close();
  }
});

it('defers only the body whose settlement cannot be written, and one entry two bodies expect counts for both', async () => {
  // The same platform event redelivered under a second request id: both bodies expect the one entry, read once.
  const mid = uniqueName('m_twice');
  const first = await store(uniqueName('req-twice'), message(PAGE, mid));
  const again = await store(uniqueName('req-twice'), message(PAGE, mid));
  const [event] = (await normalize({ platform: 'messenger', kind: 'webhook', body: message(PAGE, mid) }, router)).envelopes;
  await writeEntry(db, fromEnvelope(event!, { now: RECEIVED, retentionDays: 30 }));
  for (const consumer of EXPECTED_CONSUMERS)
    await reportOutcome(db, { workspace_id: ws, event_id: event!.id, consumer, status: 'success', attempt: 1 });
  const goneRequest = uniqueName('req-gone');
  const gone = await store(goneRequest, message(PAGE, uniqueName('m_gone')));

  // TTL deletes one body while the run is at it: the write that settles it fails, in one wave with the others.
  const renormalize = renormalizeWith(() => router);
  const summary = await reconcileOnce(
    deps(async (raw) => {
      if (raw.attributes.request_id === goneRequest) await db.collection(RAW_MESSAGES).doc(gone.id).delete();
      return renormalize(raw);
    }),
    { ...config, concurrency: 100 },
  );
  expect(summary.outcomes.deferred).toBe(1);
  expect(await stateOf(first.id)).toBe('logged');
  expect(await stateOf(again.id)).toBe('logged');
  expect((await db.collection(RAW_MESSAGES).doc(gone.id).get()).exists).toBe(false);
});
