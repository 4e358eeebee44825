/**
 * A reconciliation run whose reads fail part-way, and how much it holds: a
 * failed read of the pending bodies fails the run only once the waves under
 * way are done (else the scheduler's retry could overlap them); a failed look
 * for more after the work still answers the run's summary, `more: true`; and
 * the bodies stored before sharding are read whole a wave at a time, oldest
 * first, each once; lanes whose index is not built yet are skipped, not the
 * run failed. On the Firestore emulator, in a project of its own; the run's
 * client reaches it through firestore-fault.ts, which refuses its queries
 * (part-way through) as Firestore refuses them.
 */
import { Firestore } from '@google-cloud/firestore';
import { renormalizeWith } from '../../shared/events-api/renormalize';
import { RAW_SHARDS } from '../../shared/event-log/raw-store';
import { reconcileConfig } from '../../shared/reconcile/config';
import { reconcileOnce, type ReconcileDeps } from '../../shared/reconcile/run';
import { createTopicWithSubscription, type TestTopic } from '../helpers/pubsub-emulator';
import { FAILED_PRECONDITION, firestoreFault, PERMISSION_DENIED, type FirestoreFault } from './firestore-fault';
import { uniqueName } from '../helpers/names';
import { bodyStates, NO_ROUTES, runDeps, storeBody, type LogLine } from './support';

const BASE = new Date('2026-11-30T10:00:00.000Z');
const RUN_AT = new Date(BASE.getTime() + 60 * 60_000);
// Waves of 4 bodies, two at once.
const config = { ...reconcileConfig({}), minAgeSeconds: 600, maxMessages: 1000, maxAttempts: 2, concurrency: 8 };

let projectId: string;
let db: Firestore;
let topic: TestTopic;
const client = () => new Firestore({ projectId, host: process.env.FIRESTORE_EMULATOR_HOST, ssl: false, ignoreUndefinedProperties: true });
beforeAll(async () => {
  topic = await createTopicWithSubscription('reconcile-failures');
});
beforeEach(() => {
  // A project per test: each sees only its own bodies.
  projectId = uniqueName('reconcile-failures').replace(/_/g, '-');
  db = client();
});
afterEach(async () => {
  await db.terminate();
});

/** A Messenger body received `seconds` after BASE, stored with its shard, or as the writer before sharding did. */
const store = async (requestId: string, seconds: number, sharded: boolean) =>
  (await storeBody(db, requestId, new Date(BASE.getTime() + seconds * 1000), { sharded })).id;

const states = (ids: string[]) => bodyStates(db, ids);

interface Refusal {
  code: number;
  message: string;
}
const DENIED: Refusal = { code: PERMISSION_DENIED, message: 'Missing or insufficient permissions.' };
const NO_INDEX: Refusal = { code: FAILED_PRECONDITION, message: 'The query requires an index.' };

/**
 * A run whose Firestore client goes through a fault of its own. With
 * `atFirstWave`, once the run's first wave is being normalized every query
 * (RunQuery) is refused so, while the wave's reads and writes go through;
 * that wave's normalizing then takes `hold` ms more, long enough that a run
 * answering before its waves are done would answer first.
 */
async function faultyRun(
  opts: { atFirstWave?: Refusal; hold?: number } = {},
): Promise<{ deps: ReconcileDeps; lines: LogLine[]; fault: FirestoreFault; close(): Promise<void> }> {
  const fault = await firestoreFault(process.env.FIRESTORE_EMULATOR_HOST!);
  // The client prefers FIRESTORE_EMULATOR_HOST to its `host` setting: unset while this one is made.
  const emulator = process.env.FIRESTORE_EMULATOR_HOST;
  delete process.env.FIRESTORE_EMULATOR_HOST;
  const runDb = new Firestore({ projectId, host: fault.host, ssl: false, ignoreUndefinedProperties: true });
  process.env.FIRESTORE_EMULATOR_HOST = emulator;
  const normalize = renormalizeWith(() => NO_ROUTES);
  let gate: Promise<void> | undefined;
  const run = runDeps(runDb, topic.topic, RUN_AT, async (raw) => {
    gate ??= (async () => {
      if (!opts.atFirstWave) return;
      fault.failing = { method: 'RunQuery', ...opts.atFirstWave };
      await new Promise((resolve) => setTimeout(resolve, opts.hold ?? 0));
    })();
    await gate;
    return normalize(raw);
  });
  return {
    ...run,
    fault,
    close: async () => {
      await runDb.terminate();
      await fault.close();
    },
  };
}

it('fails on a failed read of the pending bodies only once the wave under way is done', async () => {
  const tag = uniqueName('fail');
  // Bodies from before sharding: read whole a wave (4) at a time, so the second wave needs a read, and it fails.
  const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => store(`${tag}-${i}`, i, false)));
  const run = await faultyRun({ atFirstWave: DENIED, hold: 300 });
  const err = await reconcileOnce(run.deps, config).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  // Read at once: by the time the run failed, its first wave had settled its bodies; nothing is written after the answer.
  const after = await states(ids);
  await run.close();
  expect(err?.message).toMatch(/PERMISSION_DENIED/);
  expect(after).toEqual([...Array(4).fill('logged'), ...Array(6).fill('pending')]);
});

it('answers its summary with more: true when only the look for more fails', async () => {
  const tag = uniqueName('more');
  const ids = await Promise.all(Array.from({ length: 4 }, (_, i) => store(`${tag}-${i}`, i, false)));
  const run = await faultyRun({ atFirstWave: DENIED });
  const summary = await reconcileOnce(run.deps, { ...config, maxMessages: 2 });
  await run.close();
  expect(summary).toMatchObject({ checked: 2, more: true });
  expect(summary.outcomes.logged).toBe(2);
  expect(run.lines.find((l) => l.outcome === 'reconciliation_more_unknown')).toMatchObject({ severity: 'WARNING' });
  expect(run.lines.find((l) => l.outcome === 'reconciliation_run')).toMatchObject({ checked: 2, more: true });
  expect(await states(ids)).toEqual(['logged', 'logged', 'pending', 'pending']);
});

it('reads the bodies stored before sharding a wave at a time, among sharded ones, oldest first and each once', async () => {
  const tag = uniqueName('wave');
  // 12 unsharded and 6 sharded, interleaved in time; waves of 2 (concurrency 4), so the unsharded lane's one page of
  // 1,000 is read whole in six parts.
  const all = await Promise.all(Array.from({ length: 18 }, (_, i) => store(`${tag}-${i}`, i, i % 3 === 0)));
  const { deps, lines } = runDeps(db, topic.topic, RUN_AT);
  const first = await reconcileOnce(deps, { ...config, concurrency: 4, maxMessages: 7 });
  expect(first).toMatchObject({ checked: 7, more: true });
  expect(await states(all)).toEqual([...Array(7).fill('logged'), ...Array(11).fill('pending')]);
  const second = await reconcileOnce(deps, { ...config, concurrency: 4 });
  expect(second).toMatchObject({ checked: 11, more: false });
  expect(await states(all)).toEqual(Array(18).fill('logged'));
  expect(lines.filter((l) => l.outcome === 'reconciliation_run').map((l) => l.unsharded)).toEqual([4, 8]);
});

it('skips the lanes whose index is not built yet, says so and more: true, and reads them once it is', async () => {
  const tag = uniqueName('noindex');
  const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => store(`${tag}-${i}`, i, i % 2 === 0)));
  const run = await faultyRun();
  // Every query refused as a query without its index is: a deploy ahead of its index.
  run.fault.failing = { method: 'RunQuery', ...NO_INDEX };
  const skipped = await reconcileOnce(run.deps, config);
  expect(skipped).toMatchObject({ checked: 0, more: true });
  const warning = run.lines.find((l) => l.outcome === 'reconciliation_lanes_skipped');
  expect(warning).toMatchObject({ severity: 'WARNING' });
  expect(warning!.lanes).toHaveLength(RAW_SHARDS + 1);
  expect(await states(ids)).toEqual(Array(6).fill('pending'));
  // The index built: the next run reads every lane again.
  run.fault.failing = undefined;
  const next = await reconcileOnce(run.deps, config);
  await run.close();
  expect(next).toMatchObject({ checked: 6, more: false });
  expect(await states(ids)).toEqual(Array(6).fill('logged'));
});
