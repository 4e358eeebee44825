/**
 * Reconciliation reads `raw_messages` one shard at a time (shared/reconcile):
 * bodies in every shard are found, merged oldest first across shards, each
 * once, with `RECONCILE_MAX_MESSAGES` paging over runs; and bodies stored
 * before the shard field existed (written here as the earlier writer did,
 * without it) are found through the old index and not lost, even one received
 * between sharded ones (a rolling deploy). On the Firestore emulator, in a
 * project of its own so no other suite's bodies are read. The bodies are empty
 * Messenger batches: the real normalizer makes nothing of them, so a body read
 * is a body settled `logged`, and the reading is what is under test.
 */
import { Firestore } from '@google-cloud/firestore';
import { renormalizeWith } from '../../shared/events-api/renormalize';
import { RAW_MESSAGES, RAW_SHARDS, rawMessageId, rawShard } from '../../shared/event-log/raw-store';
import { RoutingUnavailableError, type Router } from '../../shared/normalize/router';
import { reconcileConfig } from '../../shared/reconcile/config';
import { reconcileOnce } from '../../shared/reconcile/run';
import { isolatedFirestore } from '../helpers/firestore-emulator';
import { bodyStates, NO_ROUTES, runDeps, runLine, storeBody } from './support';
import { createTopicWithSubscription, type TestTopic } from '../helpers/pubsub-emulator';
import { uniqueName } from '../helpers/names';

const BASE = new Date('2026-11-30T10:00:00.000Z');
const RUN_AT = new Date(BASE.getTime() + 60 * 60_000);
// Waves of 4 bodies, two at once: a run of 30 takes 8 waves.
const config = { ...reconcileConfig({}), minAgeSeconds: 600, maxMessages: 30, maxAttempts: 2, concurrency: 8 };

let db: Firestore;
let topic: TestTopic;
beforeAll(async () => {
  db = isolatedFirestore('reconcile-shards');
  topic = await createTopicWithSubscription('reconcile-shards');
});
afterAll(async () => {
  await db.terminate();
});

interface Stored {
  id: string;
  requestId: string;
  receivedAt: Date;
  sharded: boolean;
}

async function store(requestId: string, receivedAt: Date, opts: { sharded?: boolean; body?: Buffer } = {}): Promise<Stored> {
  const { id } = await storeBody(db, requestId, receivedAt, opts);
  return { id, requestId, receivedAt, sharded: opts.sharded ?? true };
}

const states = (bodies: Stored[]) =>
  bodyStates(
    db,
    bodies.map((b) => b.id),
  );
const deps = (router: Router = NO_ROUTES) =>
  runDeps(
    db,
    topic.topic,
    RUN_AT,
    renormalizeWith(() => router),
  );

it('finds the pending bodies of every shard and the unsharded ones, oldest first across all, each once', async () => {
  const tag = uniqueName('sh');
  // Two bodies per shard, request ids chosen until every shard has two; received one second apart in an
  // order unrelated to their shards, so the merge across shards is what makes the run oldest first.
  const wanted: string[] = [];
  const perShard = new Map<number, number>();
  // Bounded: a hash that never reaches some shard fails the check below instead of looping forever.
  for (let i = 0; wanted.length < 2 * RAW_SHARDS && i < 10_000; i++) {
    const requestId = `${tag}-${i}`;
    const shard = rawShard(rawMessageId('messenger', requestId));
    if ((perShard.get(shard) ?? 0) >= 2) continue;
    perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
    wanted.push(requestId);
  }
  const at = (seconds: number) => new Date(BASE.getTime() + seconds * 1000);
  const sharded = await Promise.all(wanted.map((id, i) => store(id, at(10 + ((i * 37) % wanted.length)))));
  // Stored before sharding: four older than everything, one received between sharded ones.
  const unsharded = await Promise.all([
    ...[0, 1, 2, 3].map((s) => store(`${tag}-old-${s}`, at(s), { sharded: false })),
    store(`${tag}-old-mid`, at(10 + 20.5), { sharded: false }),
  ]);
  // Too young for this run, in a shard and unsharded: they wait.
  const young = [
    await store(`${tag}-young`, new Date(RUN_AT.getTime() - 60_000)),
    await store(`${tag}-young-old`, new Date(RUN_AT.getTime() - 60_000), { sharded: false }),
  ];
  const eligible = [...sharded, ...unsharded].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
  expect(new Set(sharded.map((b) => rawShard(b.id))).size).toBe(RAW_SHARDS);
  expect((await db.collection(RAW_MESSAGES).doc(unsharded[0]!.id).get()).get('shard')).toBeUndefined();
  // The writer's shard is the id's: a redelivery of the same request lands in the same shard.
  expect((await db.collection(RAW_MESSAGES).doc(sharded[0]!.id).get()).get('shard')).toBe(rawShard(sharded[0]!.id));

  // First run: the 30 oldest, across shards and lanes, and no other.
  const first = deps();
  const one = await reconcileOnce(first.deps, config);
  expect(one).toMatchObject({ checked: 30, more: true });
  expect(one.outcomes.logged).toBe(30);
  expect(await states(eligible.slice(0, 30))).toEqual(Array(30).fill('logged'));
  expect(await states(eligible.slice(30))).toEqual(Array(eligible.length - 30).fill('pending'));
  expect(runLine(first.lines)).toMatchObject({ checked: 30, unsharded: 5 });

  // Later runs page on until none is left; every body was read once in all (checked adds up to exactly them).
  let checked = one.checked;
  for (let run = 0; run < 5; run++) {
    const next = await reconcileOnce(deps().deps, config);
    checked += next.checked;
    if (!next.more) break;
  }
  expect(checked).toBe(eligible.length);
  expect(await states(eligible)).toEqual(Array(eligible.length).fill('logged'));
  expect(await states(young)).toEqual(['pending', 'pending']);
  const last = deps();
  expect(await reconcileOnce(last.deps, config)).toMatchObject({ checked: 0, more: false });
  expect(runLine(last.lines)).toMatchObject({ checked: 0, unsharded: 0 });
});

it('defers a body whose routing is unavailable once per run, in a shard or unsharded, and finds it again next run', async () => {
  const tag = uniqueName('defer');
  const page = '105000000000077';
  const routed = Buffer.from(
    JSON.stringify({
      object: 'page',
      entry: [
        {
          id: page,
          time: BASE.getTime(),
          messaging: [
            { sender: { id: '61' }, recipient: { id: page }, timestamp: BASE.getTime(), message: { mid: `m_${tag}`, text: 'hi' } },
          ],
        },
      ],
    }),
  );
  const blocked = [await store(`${tag}-a`, BASE, { body: routed }), await store(`${tag}-b`, BASE, { body: routed, sharded: false })];
  const unavailable: Router = {
    byAccounts: () => {
      throw new RoutingUnavailableError('the Block registry did not answer');
    },
    byBlockId: () => undefined,
  };
  for (let run = 0; run < 2; run++) {
    const summary = await reconcileOnce(deps(unavailable).deps, { ...config, maxMessages: 1000 });
    expect(summary.outcomes.deferred).toBe(2);
    expect(summary.checked).toBe(2);
    expect(await states(blocked)).toEqual(['pending', 'pending']);
  }
});

it('stops taking bodies when its time is up, says so, and the next run takes the rest', async () => {
  const tag = uniqueName('late');
  const bodies = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => store(`${tag}-${i}`, new Date(BASE.getTime() + i * 1000))));
  // A clock that moves 0.6 s at each look against a budget of 1 s: the run takes one wave (4 bodies), then stops.
  let ms = 0;
  const slow = deps().deps;
  const first = await reconcileOnce({ ...slow, clock: () => (ms += 600) }, { ...config, maxSeconds: 1 });
  expect(first).toMatchObject({ checked: 4, more: true });
  const second = await reconcileOnce(deps().deps, { ...config, maxMessages: 1000 });
  expect(second.more).toBe(false);
  expect(await states(bodies)).toEqual(Array(6).fill('logged'));
});
