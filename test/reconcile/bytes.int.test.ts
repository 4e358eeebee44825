/**
 * A reconciliation run over large bodies (300 KB, under MAX_RAW_BODY_BYTES):
 * its waves close at RECONCILE_WAVE_BYTES before their count, a wave always
 * holds one body at least, and every body is still settled once, oldest first
 * across the shards and the unsharded lane. On the Firestore emulator, in a
 * project of its own. The bodies are empty Messenger batches padded with
 * whitespace: the normalizer makes nothing of them, so each is settled `logged`.
 */
import { Firestore } from '@google-cloud/firestore';
import { renormalizeWith } from '../../shared/events-api/renormalize';
import { MAX_RAW_BODY_BYTES } from '../../shared/event-log/raw-store';
import { reconcileConfig } from '../../shared/reconcile/config';
import { reconcileOnce, type ReconcileDeps } from '../../shared/reconcile/run';
import { isolatedFirestore } from '../helpers/firestore-emulator';
import { createTopicWithSubscription, type TestTopic } from '../helpers/pubsub-emulator';
import { uniqueName } from '../helpers/names';
import { bodyStates, NO_ROUTES, runDeps, runLine, storeBody, type LogLine } from './support';

const BASE = new Date('2026-11-30T10:00:00.000Z');
const RUN_AT = new Date(BASE.getTime() + 60 * 60_000);
const BODY_BYTES = 300_000;
// Waves of 4 bodies by count, two at once.
const config = { ...reconcileConfig({}), minAgeSeconds: 600, maxMessages: 1000, maxAttempts: 2, concurrency: 8 };

let db: Firestore;
let topic: TestTopic;
beforeAll(async () => {
  topic = await createTopicWithSubscription('reconcile-bytes');
});
beforeEach(() => {
  // A project per test: each run sees only its own bodies.
  db = isolatedFirestore('reconcile-bytes');
});
afterEach(async () => {
  await db.terminate();
});

function largeBody(): Buffer {
  const head = '{"object":"page","entry":[]';
  return Buffer.from(head + ' '.repeat(BODY_BYTES - head.length - 1) + '}');
}

/** A large body received `seconds` after BASE, stored with its shard or as the writer before sharding did. */
const store = async (requestId: string, seconds: number, sharded: boolean) =>
  (await storeBody(db, requestId, new Date(BASE.getTime() + seconds * 1000), { body: largeBody(), sharded })).id;

const states = (ids: string[]) => bodyStates(db, ids);

/** A run's deps recording the request id of every body normalized, in order, and its log lines. */
function recording(): { deps: ReconcileDeps; normalized: string[]; lines: LogLine[] } {
  const normalized: string[] = [];
  const normalize = renormalizeWith(() => NO_ROUTES);
  const run = runDeps(db, topic.topic, RUN_AT, async (raw) => {
    normalized.push(raw.attributes.request_id!);
    return normalize(raw);
  });
  return { ...run, normalized };
}

it.each([
  // Two bodies fit the budget: waves of 2, where the count alone makes waves of 4.
  { waveBytes: 2 * BODY_BYTES + 100_000, waves: 4 },
  // A budget under one body: a wave of one each, so a body of any size still goes through.
  { waveBytes: 100_000, waves: 8 },
])('closes a wave at $waveBytes bytes of bodies ($waves waves) and settles every body once, oldest first', async ({ waveBytes, waves }) => {
  const tag = uniqueName('bytes');
  expect(BODY_BYTES).toBeLessThan(MAX_RAW_BODY_BYTES);
  // Five in shards and three stored before sharding (the 2nd, 5th and 8th), one second apart.
  const requestIds = Array.from({ length: 8 }, (_, i) => `${tag}-${i}`);
  const ids = await Promise.all(requestIds.map((r, i) => store(r, i, i % 3 !== 1)));
  const run = recording();
  const summary = await reconcileOnce(run.deps, { ...config, waveBytes });
  expect(summary).toMatchObject({ checked: 8, more: false });
  expect(summary.outcomes.logged).toBe(8);
  expect(runLine(run.lines)).toMatchObject({ checked: 8, unsharded: 3, waves });
  // Each body normalized once, oldest first, and settled.
  expect(run.normalized).toEqual(requestIds);
  expect(await states(ids)).toEqual(Array(8).fill('logged'));
});

it('closes a wave at its count (half its concurrency) when the byte budget holds more', async () => {
  const tag = uniqueName('count');
  const requestIds = Array.from({ length: 8 }, (_, i) => `${tag}-${i}`);
  await Promise.all(requestIds.map((r, i) => store(r, i, true)));
  const run = recording();
  // A budget of 8 large bodies: the count (4) closes each wave first.
  const summary = await reconcileOnce(run.deps, { ...config, waveBytes: 8 * BODY_BYTES });
  expect(summary).toMatchObject({ checked: 8, more: false });
  expect(runLine(run.lines)).toMatchObject({ checked: 8, waves: 2 });
  expect(run.normalized).toEqual(requestIds);
});
