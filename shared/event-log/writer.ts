/**
 * Writes log entries. The entry may already exist when the writer runs: a
 * consumer can report its outcome first (outcomes.ts), and Pub/Sub redelivers.
 * So the write is a read-modify-write (optimistic.ts: no transaction, whose
 * lock on the entry would make the consumers reporting at the same moment
 * wait), tried first as a plain create (one round trip, the common case), that
 *   - writes nothing when the writer already wrote this entry (redelivery),
 *   - otherwise merges only the writer's own fields (entry.ts EntryFields),
 *     never `consumers`, `status` (unless none yet), `execution_ids`, `replays`,
 *   - keeps the earliest `logged_at`.
 */
import type { Firestore, DocumentReference } from '@google-cloud/firestore';
import { isDocumentId } from '../runtime/doc-id';
import type { EntryFields } from './entry';
import { readModifyWrite } from './optimistic';
import { eventLogRef, overallStatus, type ConsumerReport } from './outcomes';

export const UNROUTED_EVENTS = 'unrouted_events';

/** Where an entry lives: its workspace's log, or `unrouted_events` when no workspace is known. */
export function entryRef(db: Firestore, fields: Pick<EntryFields, 'workspace_id' | 'event_id'>): DocumentReference {
  const id = safeDocId(fields.event_id);
  return fields.workspace_id ? eventLogRef(db, fields.workspace_id, id) : db.collection(UNROUTED_EVENTS).doc(id);
}

/** Whether `id` can be a log entry's document id as it is (safeDocId's base64 fallback is cut at 700 characters too). */
export function isDocId(id: string): boolean {
  return id.length <= 700 && isDocumentId(id);
}

/** Ours are always document ids, but a rejection id comes from another team. */
function safeDocId(id: string): string {
  return isDocId(id) ? id : Buffer.from(id).toString('base64url').slice(0, 700);
}

export type WriteResult = 'created' | 'completed' | 'unchanged';

/**
 * Writes the entry unless the writer already did. `initialStatus` is the
 * status for an entry no consumer reported on yet ('rejected', 'failed' for a
 * dead body); envelopes start from their consumers' reports (usually none: processing).
 */
export async function writeEntry(db: Firestore, fields: EntryFields, initialStatus?: 'rejected' | 'failed'): Promise<WriteResult> {
  const ref = entryRef(db, fields);
  return readModifyWrite<WriteResult>(
    ref,
    (snap) => {
      if (snap.exists && snap.get('kind') !== undefined) return { result: 'unchanged' };
      const update: Record<string, unknown> = { ...fields };
      // Filterable (`replayed=false` lists what a recovery has not replayed yet), so every entry has it; a replay sets it true.
      update.replayed = ((snap.get('replays') as unknown[] | undefined) ?? []).length > 0;
      if (initialStatus) {
        update.status = initialStatus;
      } else if (snap.get('status') === undefined) {
        const consumers = (snap.get('consumers') as Record<string, ConsumerReport> | undefined) ?? {};
        update.status = overallStatus(consumers);
      }
      return { data: update, result: snap.exists ? 'completed' : 'created' };
    },
    // The writer is usually first (the consumers report after their own work): create, and read only if that fails.
    { createFirst: true },
  );
}
