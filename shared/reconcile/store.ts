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
import { Timestamp, type Firestore, type Query, type QueryDocumentSnapshot } from '@google-cloud/firestore';
import { RAW_MESSAGES, RECONCILE_FIELD, RECONCILE_PENDING } from '../event-log/raw-store';
import { expiryAfter } from '../event-log/config';
import type { ReconciliationRecord } from './shapes';

export const RECONCILIATIONS = 'reconciliations';

export type SettledState = 'logged' | 'recovered' | 'unresolved' | 'unverifiable';

/** Ids kept on a record, enough to follow a few; the counts say how many there were. */
export const MAX_RECORDED_IDS = 100;

/** The oldest pending raw messages received at or before `cutoff`, after `after` (paging within a run). */
export function pendingQuery(db: Firestore, cutoff: Date, after?: QueryDocumentSnapshot): Query {
  let query = db
    .collection(RAW_MESSAGES)
    .where(RECONCILE_FIELD, '==', RECONCILE_PENDING)
    .where('received_at', '<=', Timestamp.fromDate(cutoff))
    .orderBy('received_at', 'asc');
  if (after) query = query.startAfter(after);
  return query;
}

export async function settle(doc: QueryDocumentSnapshot, state: SettledState, now: Date): Promise<void> {
  await doc.ref.update({ [RECONCILE_FIELD]: state, reconciled_at: Timestamp.fromDate(now) });
}

export async function countAttempt(doc: QueryDocumentSnapshot, attempts: number): Promise<void> {
  await doc.ref.update({ reconcile_attempts: attempts });
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
