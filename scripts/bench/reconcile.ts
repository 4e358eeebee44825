/**
 * Bench part `reconcile`: raw bodies one reconciliation run settles a second,
 * on a Firestore emulator of its own, for a backlog of healthy bodies (every
 * one's event already in the log, `success`: what a run meets nearly always).
 * Each round puts every body back to `pending`, then runs, in alternating
 * order:
 *
 *   ours   reconcileOnce over the whole backlog (normalize each body with a
 *          static router, read its expected entries, settle it)
 *   floor  the least any reconciliation must do with the same documents and
 *          no normalizing: read every body through its shard's query, read
 *          every expected entry (ids known in advance) with getAll in chunks
 *          of 300 at once, and write every settlement through one unthrottled
 *          BulkWriter
 *
 *   npm run bench -- reconcile   (BENCH_RECONCILE_BODIES 2000, BENCH_RUNS 3)
 *
 * Nothing is published (a healthy body lacks nothing); the publisher counts,
 * and a count above 0 fails the bench. Beside each run of ours, the CPU this
 * process spent on it per body (the Firestore client and our code; the
 * emulator's JVM apart): a run on one vCPU cannot go faster than its inverse.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Firestore, type DocumentReference } from '@google-cloud/firestore';
import type { RawMessageAttributes } from '../../shared/contracts/raw-message';
import { fromEnvelope } from '../../shared/event-log/entry';
import { RAW_MESSAGES, rawMessageId, rawRecord } from '../../shared/event-log/raw-store';
import { entryRef } from '../../shared/event-log/writer';
import { renormalizeWith } from '../../shared/events-api/renormalize';
import { normalize } from '../../shared/normalize/normalize';
import { staticRouter } from '../../shared/normalize/router';
import { reconcileConfig } from '../../shared/reconcile/config';
import { reconcileOnce } from '../../shared/reconcile/run';
import { PENDING_LANES, pendingQuery } from '../../shared/reconcile/store';
import { createLogger } from '../../shared/runtime/log';
import { startEmulator } from '../lib/emulators';
import { median } from './stats';

const BODIES = Number(process.env.BENCH_RECONCILE_BODIES ?? 2000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WS = 'ws_bench_reconcile';
const PAGE = '105000000000900';
const router = staticRouter({ workspaceId: WS, blockId: 'blk_bench' });
const RECEIVED_FROM = Date.parse('2026-11-30T10:00:00.000Z');
// An hour after the last body: every one is old enough.
const RUN_AT = new Date(RECEIVED_FROM + BODIES * 1_000 + 3600_000);

const body = (i: number, at: number) =>
  Buffer.from(
    JSON.stringify({
      object: 'page',
      entry: [
        {
          id: PAGE,
          time: at,
          messaging: [
            {
              sender: { id: `61000000${String(i % 500).padStart(5, '0')}` },
              recipient: { id: PAGE },
              timestamp: at,
              message: { mid: `m_bench_${i}`, text: `hello ${i}, what is the price?` },
            },
          ],
        },
      ],
    }),
  );

/** Stores the backlog: each body, and its event's log entry written and `success`. Returns each body's expected entry. */
async function seed(db: Firestore): Promise<Map<string, DocumentReference>> {
  const expected = new Map<string, DocumentReference>();
  const bulk = db.bulkWriter({ throttling: false });
  for (let i = 0; i < BODIES; i++) {
    const at = RECEIVED_FROM + i * 1_000;
    const attrs: RawMessageAttributes = {
      platform: 'messenger',
      received_at: new Date(at).toISOString(),
      request_id: `bench-${i}`,
      kind: 'webhook',
      content_type: 'application/json',
    };
    const data = body(i, at);
    const id = rawMessageId('messenger', attrs.request_id);
    void bulk.create(db.collection(RAW_MESSAGES).doc(id), rawRecord(data, attrs, { ...attrs }, 30, new Date(at)));
    const [envelope] = (
      await normalize(
        { platform: 'messenger', kind: 'webhook', body: data, receivedAt: attrs.received_at, requestId: attrs.request_id },
        router,
      )
    ).envelopes;
    if (!envelope) throw new Error(`body ${i} made no envelope`);
    const fields = fromEnvelope(envelope, { now: new Date(at), retentionDays: 30 });
    const ref = entryRef(db, fields);
    void bulk.set(ref, { ...fields, status: 'success', replayed: false });
    expected.set(id, ref);
  }
  await bulk.close();
  return expected;
}

async function resetPending(db: Firestore, ids: Iterable<string>): Promise<void> {
  const bulk = db.bulkWriter({ throttling: false });
  for (const id of ids) void bulk.update(db.collection(RAW_MESSAGES).doc(id), { reconcile: 'pending' });
  await bulk.close();
}

async function floor(db: Firestore, expected: Map<string, DocumentReference>): Promise<number> {
  const start = performance.now();
  // The shards only: every body is in one, and the unsharded lane would read them all a second time.
  const shards = PENDING_LANES.filter((lane) => lane !== 'unsharded');
  const docs = (await Promise.all(shards.map((lane) => pendingQuery(db, lane, RUN_AT).limit(BODIES).get()))).flatMap((p) => p.docs);
  const refs = docs.map((d) => {
    if (d.get('body') === undefined) throw new Error('a body without its text');
    return expected.get(d.id)!;
  });
  const chunks: DocumentReference[][] = [];
  for (let i = 0; i < refs.length; i += 300) chunks.push(refs.slice(i, i + 300));
  const read = (await Promise.all(chunks.map((c) => db.getAll(...c, { fieldMask: ['kind', 'status'] })))).flat();
  if (!read.every((s) => s.exists && s.get('status') === 'success')) throw new Error('an expected entry is missing');
  const bulk = db.bulkWriter({ throttling: false });
  const now = new Date();
  for (const d of docs) void bulk.update(d.ref, { reconcile: 'logged', reconciled_at: now });
  await bulk.close();
  const ms = performance.now() - start;
  if (docs.length !== BODIES) throw new Error(`the floor read ${docs.length} bodies, not ${BODIES}`);
  return ms;
}

async function ours(db: Firestore): Promise<{ ms: number; cpuUs: number; published: number }> {
  let published = 0;
  const config = { ...reconcileConfig(), minAgeSeconds: 600, maxMessages: BODIES };
  const start = performance.now();
  const cpu = process.cpuUsage();
  const summary = await reconcileOnce(
    {
      db,
      publisher: {
        publish: async () => {
          published++;
          return 'counted';
        },
      },
      normalize: renormalizeWith(() => router),
      log: createLogger({ component: 'bench' }, { level: 'warn', format: 'json', write: () => undefined }),
      now: () => RUN_AT,
      retentionDays: 30,
    },
    config,
  );
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  if (summary.outcomes.logged !== BODIES) throw new Error(`the run settled ${JSON.stringify(summary.outcomes)}, not ${BODIES} logged`);
  return { ms, cpuUs: used.user + used.system, published };
}

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

export async function run(): Promise<void> {
  const projectId = 'convotic-bench-reconcile';
  const emulator = await startEmulator('firestore', { projectId });
  // The client then takes the emulator's credentials instead of looking for Google's.
  process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
  const db = new Firestore({ projectId, host: emulator.host, ssl: false, ignoreUndefinedProperties: true });
  try {
    const seedStart = performance.now();
    const expected = await seed(db);
    console.log(`seeded ${BODIES} healthy bodies in ${Math.round(performance.now() - seedStart)} ms; load ${load()}`);
    const rows: Array<Record<string, string | number>> = [];
    const oursRates: number[] = [];
    const floorRates: number[] = [];
    const ratios: number[] = [];
    const cpuPerBody: number[] = [];
    // A warm-up round of each, so neither is measured while the JIT and the emulator's caches are cold.
    await resetPending(db, expected.keys());
    await ours(db);
    await resetPending(db, expected.keys());
    await floor(db, expected);
    for (let r = 0; r < RUNS; r++) {
      const floorFirst = r % 2 === 1;
      let floorMs = 0;
      if (floorFirst) {
        await resetPending(db, expected.keys());
        floorMs = await floor(db, expected);
      }
      await resetPending(db, expected.keys());
      const o = await ours(db);
      if (o.published) throw new Error(`a healthy backlog published ${o.published} envelopes`);
      if (!floorFirst) {
        await resetPending(db, expected.keys());
        floorMs = await floor(db, expected);
      }
      const oursRate = BODIES / (o.ms / 1000);
      const floorRate = BODIES / (floorMs / 1000);
      oursRates.push(oursRate);
      floorRates.push(floorRate);
      ratios.push(oursRate / floorRate);
      cpuPerBody.push(o.cpuUs / BODIES);
      rows.push({
        round: r + 1,
        'ours bodies/s': Math.round(oursRate),
        'floor bodies/s': Math.round(floorRate),
        'ours/floor': Number((oursRate / floorRate).toFixed(2)),
        'ours CPU µs/body': Math.round(o.cpuUs / BODIES),
        load: load(),
      });
    }
    console.table(rows);
    console.log(
      `reconcile: ${BODIES} healthy bodies, median of ${RUNS} rounds: ours ${Math.round(median(oursRates))} bodies/s, ` +
        `floor ${Math.round(median(floorRates))} bodies/s, ours/floor ${median(ratios).toFixed(2)}, ` +
        `this process's CPU ${Math.round(median(cpuPerBody))} µs a body (the emulator's apart); ` +
        `${os.cpus().length} cores, load ${load()}`,
    );
  } finally {
    await db.terminate();
    await emulator.stop();
  }
}
