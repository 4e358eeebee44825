/**
 * Consumers report how they did with each event into its event log entry, so
 * the log can show `success` / `retrying` / `failed` as the product docs
 * promise. Reports merge into `workspaces/{ws}/event_log/{event_id}`: a
 * consumer may report before the event-log writer has written the entry, and
 * neither overwrites the other.
 *
 *   consumers.<name> = { status, attempt, error?, at }
 *   status           = failed    if any consumer failed (dead-lettered)
 *                      retrying  else if any consumer's last report is a failure
 *                      success   else if every expected consumer succeeded
 *                      processing otherwise
 *
 * Reports can arrive out of order (a slow attempt 1 after attempt 2): the
 * report with the higher attempt wins, and at equal attempts a final state
 * (success / failed) wins over retrying.
 */
import { FieldValue, type Firestore } from '@google-cloud/firestore';
import { topology } from '../topology';

export type ConsumerStatus = 'success' | 'retrying' | 'failed';
export type EventStatus = ConsumerStatus | 'processing';

export interface ConsumerReport {
  status: ConsumerStatus;
  attempt: number;
  error?: string;
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
}

export const EVENTS_TOPIC_NAME = 'events';
export const EVENT_LOG_CONSUMER = 'event-log';

/** The consumers whose success makes an event `success`: every push subscriber of `events` but the log itself. */
export const EXPECTED_CONSUMERS: readonly string[] = Object.values(topology.subscriptions)
  .filter((s) => s.topic === EVENTS_TOPIC_NAME && s.push_to && s.push_to !== EVENT_LOG_CONSUMER)
  .map((s) => s.push_to as string);

export function eventLogRef(db: Firestore, workspaceId: string, eventId: string) {
  return db.collection('workspaces').doc(workspaceId).collection('event_log').doc(eventId);
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

export async function reportOutcome(db: Firestore, report: OutcomeReport): Promise<void> {
  const ref = eventLogRef(db, report.workspace_id, report.event_id);
  const next: ConsumerReport = {
    status: report.status,
    attempt: report.attempt,
    at: new Date().toISOString(),
    ...(report.error ? { error: report.error.slice(0, 1000) } : {}),
  };
  await db.runTransaction(async (tx) => {
    const snapshot = await tx.get(ref);
    const consumers = { ...((snapshot.get('consumers') as Record<string, ConsumerReport> | undefined) ?? {}) };
    if (!supersedes(next, consumers[report.consumer])) return;
    consumers[report.consumer] = next;
    const update: Record<string, unknown> = {
      consumers,
      status: overallStatus(consumers),
      updated_at: new Date().toISOString(),
    };
    if (report.execution_ids?.length) update.execution_ids = FieldValue.arrayUnion(...report.execution_ids);
    tx.set(ref, update, { merge: true });
  });
}
