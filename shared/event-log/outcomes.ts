/**
 * Consumers report how they did with each event into its event log entry, so
 * the log can show `success` / `retrying` / `failed` as the product docs
 * promise. Reports merge into `workspaces/{ws}/event_log/{event_id}`: a
 * consumer may report before the event-log writer has written the entry, and
 * neither overwrites the other.
 *
 *   consumers.<name> = { status, attempt, error?, notes?, at }
 *   status           = failed    if any consumer failed (dead-lettered)
 *                      retrying  else if any consumer's last report is a failure
 *                      success   else if every expected consumer succeeded
 *                      processing otherwise
 *
 * Reports can arrive out of order (a slow attempt 1 after attempt 2): the
 * report with the higher attempt wins, and at equal attempts a final state
 * (success / failed) wins over retrying.
 *
 * Entries of batch items the normalizer rejected carry status `rejected`
 * (written by the log writer, never by a report).
 *
 * `last_error` = { consumer, error, attempt, at } of the latest failing report,
 * so a `retrying` or `failed` entry says why without opening every consumer.
 * A report on an entry the log writer has not written yet also sets a
 * provisional `expire_at` (now + retention), so that an entry whose envelope
 * never reaches the writer still expires; the writer replaces it.
 */
import { FieldValue, Timestamp, type Firestore } from '@google-cloud/firestore';
import { topology } from '../contracts/topology';
import { expiryAfter, retentionDays } from './config';
import { readModifyWrite, type SnapshotView } from './optimistic';
import { TOPIC_SETTINGS } from '../contracts/topics';

export type ConsumerStatus = 'success' | 'retrying' | 'failed';
export type EventStatus = ConsumerStatus | 'processing';
/** Every value an entry's `status` can take: the filterable statuses of the API. */
export const ENTRY_STATUSES = ['success', 'retrying', 'failed', 'processing', 'rejected'] as const;
export type EntryStatus = (typeof ENTRY_STATUSES)[number];

/**
 * Why a consumer that succeeded did less than the event asked for (triggers: a
 * start refused by loop prevention), so the log says it, not only the function's log.
 */
export interface ConsumerNote {
  reason: string;
  message: string;
  [detail: string]: unknown;
}

export interface ConsumerReport {
  status: ConsumerStatus;
  attempt: number;
  error?: string;
  notes?: ConsumerNote[];
  at: string;
}

export interface OutcomeReport {
  workspace_id: string;
  event_id: string;
  consumer: string;
  status: ConsumerStatus;
  attempt: number;
  error?: string;
  /** Workflow executions this consumer started for the event. */
  execution_ids?: string[];
  notes?: ConsumerNote[];
}

/** The topology's name for the `events` topic (deployed names never change it; only local tests do). */
export const EVENTS_TOPIC_NAME = TOPIC_SETTINGS.events.default;
export const EVENT_LOG_CONSUMER = 'event-log';

/** The consumers whose success makes an event `success`: every push subscriber of `events` but the log itself. */
export const EXPECTED_CONSUMERS: readonly string[] = Object.values(topology.subscriptions)
  .filter((s) => s.topic === EVENTS_TOPIC_NAME && s.push_to && s.push_to !== EVENT_LOG_CONSUMER)
  .map((s) => s.push_to as string);

export const EVENT_LOG_COLLECTION = 'event_log';

export function eventLogCollection(db: Firestore, workspaceId: string) {
  return db.collection('workspaces').doc(workspaceId).collection(EVENT_LOG_COLLECTION);
}

export function eventLogRef(db: Firestore, workspaceId: string, eventId: string) {
  return eventLogCollection(db, workspaceId).doc(eventId);
}

/**
 * The consumer a subscription delivers to, for dead letters (Pub/Sub names the
 * source subscription): its `push_to` in topology.json, else the name itself.
 */
export function consumerForSubscription(subscription: string, extra: Record<string, string> = {}): string {
  const name = subscription.split('/').pop() ?? subscription;
  return extra[name] ?? topology.subscriptions[name]?.push_to ?? name;
}

const RANK: Record<ConsumerStatus, number> = { retrying: 0, success: 1, failed: 1 };

/** Whether `next` should replace `current` (see the ordering rule above). */
export function supersedes(next: ConsumerReport, current: ConsumerReport | undefined): boolean {
  if (!current) return true;
  if (next.attempt !== current.attempt) return next.attempt > current.attempt;
  return RANK[next.status] >= RANK[current.status];
}

export function overallStatus(consumers: Record<string, ConsumerReport>, expected: readonly string[] = EXPECTED_CONSUMERS): EventStatus {
  const reports = Object.values(consumers);
  if (reports.some((r) => r.status === 'failed')) return 'failed';
  if (reports.some((r) => r.status === 'retrying')) return 'retrying';
  if (expected.every((name) => consumers[name]?.status === 'success')) return 'success';
  return 'processing';
}

/**
 * Records one consumer's report. A read-modify-write without a transaction
 * (optimistic.ts): the writer and the other consumers report on the same entry
 * at the same moment, and transactions locking it made them wait seconds for
 * each other.
 */
export async function reportOutcome(db: Firestore, report: OutcomeReport): Promise<{ becameSuccess: boolean }> {
  const ref = eventLogRef(db, report.workspace_id, report.event_id);
  const now = new Date();
  return readModifyWrite(ref, (snapshot) => {
    const data = outcomeUpdate(snapshot, report, now);
    // This report is the one that made the event `success` (the POST -> success latency is measured here).
    return { data, result: { becameSuccess: data?.status === 'success' && snapshot.get('status') !== 'success' } };
  });
}

/** The fields a report changes on the entry as it is in `snapshot`, or undefined when it changes nothing. */
function outcomeUpdate(snapshot: SnapshotView, report: OutcomeReport, now: Date): Record<string, unknown> | undefined {
  const consumers = { ...((snapshot.get('consumers') as Record<string, ConsumerReport> | undefined) ?? {}) };
  const previous = consumers[report.consumer];
  // A dead letter says only "gave up": keep the error of the last failed attempt.
  const error = report.error ?? (report.status === 'failed' ? previous?.error : undefined);
  const next: ConsumerReport = {
    status: report.status,
    attempt: report.attempt,
    at: now.toISOString(),
    ...(error ? { error: error.slice(0, 1000) } : {}),
    ...(report.notes?.length ? { notes: report.notes } : {}),
  };
  const update: Record<string, unknown> = { updated_at: now.toISOString() };
  // Execution links are facts whatever the ordering of reports: always merge them.
  if (report.execution_ids?.length) update.execution_ids = FieldValue.arrayUnion(...report.execution_ids);
  if (supersedes(next, previous)) {
    consumers[report.consumer] = next;
    update.consumers = consumers;
    // A rejected entry has no consumers; nothing a report says changes that.
    if (snapshot.get('status') !== 'rejected') update.status = overallStatus(consumers);
    if (next.status !== 'success')
      update.last_error = { consumer: report.consumer, error: next.error ?? null, attempt: next.attempt, at: next.at };
  } else if (!update.execution_ids) {
    return undefined;
  }
  if (snapshot.get('expire_at') === undefined) update.expire_at = Timestamp.fromDate(expiryAfter(now, retentionDays()));
  return update;
}
