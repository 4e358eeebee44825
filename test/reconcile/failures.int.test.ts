/**
 * A reconciliation run's reading limits: the bodies stored before sharding
 * are read whole a wave at a time (not a page of 1,000 at once), oldest first
 * among the sharded ones, each once. On the Firestore emulator, in a project
 * of its own.
 */
import { Firestore } from '@google-cloud/firestore';
import { createEnvelopePublisher } from '../../shared/envelope/publish';
import { renormalizeWith } from '../../shared/events-api/renormalize';
import type { RawMessageAttributes } from '../../shared/contracts/raw-message';
import { RAW_MESSAGES, rawMessageId, rawRecord, storeRawMessage } from '../../shared/event-log/raw-store';
import type { Router } from '../../shared/normalize/router';
import { reconcileConfig } from '../../shared/reconcile/config';
import { reconcileOnce, type ReconcileDeps } from '../../shared/reconcile/run';
import { createLogger } from '../../shared/runtime/log';
import { createTopicWithSubscription, type TestTopic } from '../helpers/pubsub-emulator';
import { uniqueName } from '../helpers/names';

const BASE = new Date('2026-11-30T10:00:00.000Z');
const RUN_AT = new Date(BASE.getTime() + 60 * 60_000);
// Waves of 4 bodies, two at once.
const config = { ...reconcileConfig({}), minAgeSeconds: 600, maxMessages: 1000, maxAttempts: 2, concurrency: 8 };
const EMPTY_BATCH = Buffer.from('{"object":"page","entry":[]}');
const none: Router = { byAccounts: () => undefined, byBlockId: () => undefined };

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
async function store(requestId: string, seconds: number, sharded: boolean): Promise<string> {
  const receivedAt = new Date(BASE.getTime() + seconds * 1000);
  const attrs: RawMessageAttributes = {
    platform: 'messenger',
    received_at: receivedAt.toISOString(),
    request_id: requestId,
    kind: 'webhook',
    content_type: 'application/json',
  };
  const full = rawRecord(EMPTY_BATCH, attrs, { ...attrs }, 30, receivedAt);
  const id = rawMessageId('messenger', requestId);
  if (sharded) await storeRawMessage(db, full);
  else {
    const { shard: _shard, ...before } = full;
    await db.collection(RAW_MESSAGES).doc(id).create(before);
  }
  return id;
}

const states = async (ids: string[]) =>
  Promise.all(ids.map(async (id) => (await db.collection(RAW_MESSAGES).doc(id).get()).get('reconcile') as string));

it('reads the bodies stored before sharding a wave at a time, among sharded ones, oldest first and each once', async () => {
  const tag = uniqueName('wave');
  // 12 unsharded and 6 sharded, interleaved in time; waves of 2 (concurrency 4), so the unsharded lane's one page of
  // 1,000 is read whole in six parts.
  const all = await Promise.all(Array.from({ length: 18 }, (_, i) => store(`${tag}-${i}`, i, i % 3 === 0)));
  const lines: Array<Record<string, unknown>> = [];
  const deps: ReconcileDeps = {
    db,
    publisher: createEnvelopePublisher(topic.topic),
    normalize: renormalizeWith(() => none),
    log: createLogger(
      { component: 'test' },
      { level: 'info', format: 'json', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    ),
    now: () => RUN_AT,
    retentionDays: 30,
  };
  const first = await reconcileOnce(deps, { ...config, concurrency: 4, maxMessages: 7 });
  expect(first).toMatchObject({ checked: 7, more: true });
  expect(await states(all)).toEqual([...Array(7).fill('logged'), ...Array(11).fill('pending')]);
  const second = await reconcileOnce(deps, { ...config, concurrency: 4 });
  expect(second).toMatchObject({ checked: 11, more: false });
  expect(await states(all)).toEqual(Array(18).fill('logged'));
  expect(lines.filter((l) => l.outcome === 'reconciliation_run').map((l) => l.unsharded)).toEqual([4, 8]);
});
