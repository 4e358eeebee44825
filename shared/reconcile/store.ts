/**
 * Reconciliation's storage: which raw messages are still to be settled (a
 * field on `raw_messages`), and what it found (`reconciliations/{raw id}`,
 * one record per acknowledged webhook found missing from the log, which the
 * events API lists for operators).
 *
 *   raw_messages/{id}.reconcile   pending -> logged        reached the log by itself
 *                                 pending -> recovered     reached it after a replay here
 *                                 pending -> unresolved    still missing after RECONCILE_MAX_ATTEMPTS replays
 *                                 pending -> unverifiable  body too large to keep, so not re-normalizable
 *   (a message replayed stays pending with reconcile_attempts + 1, so the next
 *   run checks that the replay reached the log)
 */
import { Timestamp, type DocumentReference, type Firestore, type Query, type QueryDocumentSnapshot } from '@google-cloud/firestore';
import { RAW_MESSAGES, RAW_SHARDS, RECONCILE_FIELD, RECONCILE_PENDING, SHARD_FIELD } from '../event-log/raw-store';
import { expiryAfter } from '../event-log/config';
import type { MessageOutcome, ReconciliationRecord } from './shapes';

export const RECONCILIATIONS = 'reconciliations';

/** The outcomes that settle a body: all but a replay (checked again next run) and a deferral. */
export type SettledState = Exclude<MessageOutcome, 'replayed' | 'deferred'>;

/** Ids kept on a record, enough to follow a few; the counts say how many there were. */
export const MAX_RECORDED_IDS = 100;

const RECEIVED_AT = 'received_at';

/**
 * Where a run reads pending bodies: one shard (raw-store.ts SHARD_FIELD), or
 * `unsharded`, the bodies stored before the shard field existed. Those have
 * no entry in the sharded index, so they are read through the index they were
 * written under, (reconcile, received_at), which also holds every newer
 * pending body: the run skips those there (their shard reads them). That index
 * keeps the collection at 500 writes/s until it is dropped, which is safe once
 * no unsharded body is pending: a run's `unsharded` count (its log line) is 0
 * with `more` false, after every instance runs the sharding code (or after one
 * retention period, when TTL has deleted them all). Dropping it means dropping
 * this lane with it.
 */
export type PendingLane = number | 'unsharded';
export const PENDING_LANES: readonly PendingLane[] = [...Array.from({ length: RAW_SHARDS }, (_, shard) => shard), 'unsharded'];

/**
 * One lane's oldest pending raw messages received at or before `cutoff`, after
 * `after` (paging within a run). The indexes it needs are topology.json's
 * (test/firestore/indexes.test.ts builds every lane's query and checks).
 */
export function pendingQuery(db: Firestore, lane: PendingLane, cutoff: Date, after?: QueryDocumentSnapshot): Query {
  let query: Query = db.collection(RAW_MESSAGES);
  if (lane !== 'unsharded') query = query.where(SHARD_FIELD, '==', lane);
  query = query
    .where(RECONCILE_FIELD, '==', RECONCILE_PENDING)
    .where(RECEIVED_AT, '<=', Timestamp.fromDate(cutoff))
    .orderBy(RECEIVED_AT, 'asc');
  if (after) query = query.startAfter(after);
  // That lane's pages are mostly sharded bodies it skips: only what skipping, ordering and its byte budget need (pending.ts reads the rest whole).
  if (lane === 'unsharded') query = query.select(RECEIVED_AT, SHARD_FIELD, 'size', 'truncated');
  return query;
}

/** Whether a document the `lane` query returned belongs to that lane (the unsharded lane sees sharded bodies too). */
export const inLane = (lane: PendingLane, doc: QueryDocumentSnapshot): boolean =>
  lane !== 'unsharded' || doc.get(SHARD_FIELD) === undefined;

/** The update that settles a raw message in `state`. */
export const settledUpdate = (state: SettledState, now: Date) => ({ [RECONCILE_FIELD]: state, reconciled_at: Timestamp.fromDate(now) });

/** The update that counts a replay (the message stays pending, so the next run checks it). */
export const attemptUpdate = (attempts: number) => ({ reconcile_attempts: attempts });

export interface RawUpdate {
  ref: DocumentReference;
  data: Record<string, unknown>;
}

/**
 * Applies many raw messages' updates at once, each failing alone: one
 * BulkWriter (batches of 20 sent in parallel, not atomic). Unthrottled: its
 * default starts at 500 writes a second and ramps over minutes, which would
 * bound a run at 500 bodies a second; these are updates to documents spread
 * over the key space (hashed ids), at most one per body the collection
 * already took a create for, and the run's concurrency bounds them.
 * Resolves with each update's error, or undefined, in order.
 */
export async function applyRawUpdates(db: Firestore, updates: readonly RawUpdate[]): Promise<Array<Error | undefined>> {
  if (!updates.length) return [];
  const bulk = db.bulkWriter({ throttling: false });
  const results = updates.map(({ ref, data }) =>
    bulk.update(ref, data).then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    ),
  );
  await bulk.close();
  return Promise.all(results);
}

export const recordRef = (db: Firestore, rawId: string) => db.collection(RECONCILIATIONS).doc(rawId);

/**
 * Writes what a run found about one raw message. The first finding's time
 * stays the record's `timestamp`; everything else is the latest.
 */
export async function saveRecord(
  db: Firestore,
  record: Omit<ReconciliationRecord, 'timestamp' | 'expire_at'>,
  now: Date,
  retentionDays: number,
): Promise<void> {
  const ref = recordRef(db, record.raw_id);
  const existing = await ref.get();
  const first = (existing.get('timestamp') as Timestamp | undefined) ?? Timestamp.fromDate(now);
  const full: ReconciliationRecord = {
    ...record,
    replayed_event_ids: record.replayed_event_ids.slice(0, MAX_RECORDED_IDS),
    written_rejection_ids: record.written_rejection_ids.slice(0, MAX_RECORDED_IDS),
    timestamp: first,
    expire_at: Timestamp.fromDate(expiryAfter(first.toDate(), retentionDays)),
  };
  await ref.set(full);
}

/** Marks an earlier finding as recovered (its replay reached the log), keeping what it found. */
export async function markRecovered(db: Firestore, rawId: string, now: Date): Promise<void> {
  const ref = recordRef(db, rawId);
  if ((await ref.get()).exists) await ref.update({ status: 'recovered', checked_at: Timestamp.fromDate(now) });
}
