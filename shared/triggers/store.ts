/**
 * Firestore side of the triggers subscriber: the decision taken for an event
 * is committed once, in one transaction, and replayed on every redelivery.
 *
 *   workspaces/{ws}/trigger_runs/{event_id}
 *     { starts: [...], resumes: [...], published: false }   with the executions, same transaction
 *     { published: true }                                     after every message went out
 *
 *   delivery 1: match -> tx(create executions, claim waiting ones, create run) -> publish -> mark published
 *                                                 crash here leaves published=false ^
 *   delivery 2: tx sees the run -> nothing is decided again (even if the
 *               workflows or the waiting executions changed meanwhile) ->
 *               re-publish when not yet published (same request ids, the engine dedupes)
 *
 * When every delivery fails to publish (a long Pub/Sub outage), the message
 * dead-letters and there is no delivery 2: executions stay `starting` with
 * `start_published: false`, and a claimed execution stays `resuming`, which no
 * later reply will claim again. The operator's recovery is a replay
 * (events-api): a new event whose `metadata.replay_of` names this one. Its
 * handling reads this run with `unpublishedRun` and re-publishes it just as
 * delivery 2 would (handler.ts), before deciding for the replay itself.
 *
 * Executions are created exactly once per (event, workflow): their id is
 * executionId(ws, workflow, event) and they are created with a precondition
 * (an existing one is left alone). A waiting execution is claimed by exactly
 * one reply: the transaction moves it from `waiting` to `resuming`, and a
 * concurrent reply's transaction then sees it is no longer waiting.
 */
import { Timestamp, type DocumentReference, type Firestore } from '@google-cloud/firestore';
import { isAlreadyExists } from '../firestore-codes';
import { entryEnvelope } from '../event-log/entry';
import { expiryAfter } from '../event-log/config';
import { eventLogRef } from '../event-log/outcomes';
import { executionId, hashId, type Envelope } from '../envelope';
import type { ExecutionDoc, WaitingFor } from '../workflows/execution';
import { chainAfter } from './loops';
import type { Start } from './match';

export interface PlannedStart {
  execution_id: string;
  workflow_id: string;
  trigger_id: string;
  /**
   * The chain the execution stamps on its events (loops.ts), recorded so a
   * re-publish sends the same one. Absent on runs recorded before chains.
   */
  caused_by_workflow_ids?: string[];
}

export interface PlannedResume {
  execution_id: string;
  workflow_id: string;
  resume_id: string;
  step_id: string;
}

export interface TriggerRun {
  event_id: string;
  starts: PlannedStart[];
  resumes: PlannedResume[];
  published: boolean;
  created_at: string;
  /** Firestore TTL deletes the record after the event log's retention: long past any redelivery. */
  expire_at: Timestamp;
  /**
   * On a replay's run: the replayed event whose stranded run this replay
   * published instead of deciding for itself (claimRecovery). Such a run starts
   * and resumes nothing, so the replay's workflows run once, not twice.
   */
  recovered_event_id?: string;
}

export interface WaitingExecution {
  execution_id: string;
  workflow_id: string;
  waiting_for: WaitingFor;
}

/**
 * The Wait-for-Reply lookup: executions waiting for this contact's reply. It
 * keys on `waiting_for.contact_id`, the contact the wait names, never on the
 * execution's own `contact_id`: that one is the contact of the trigger event,
 * which may be none (an order, a deal, a scheduled event) or someone else (a
 * group message). Both are equality filters; topology.json declares their
 * composite index, and a test holds the two together.
 */
export const WAITING_FOR_REPLY_QUERY = {
  collection: 'executions',
  contactField: 'waiting_for.contact_id',
  statusField: 'status',
} as const;

/** The resume request id: one per (execution, reply). */
export function resumeId(workspaceId: string, executionIdValue: string, eventId: string): string {
  return hashId('rsm', [workspaceId, executionIdValue, eventId]);
}

export function threadOf(envelope: Envelope): { contact_id: string | null; conversation_id: string | null } {
  const data = envelope.data as { contact_id?: unknown; conversation_id?: unknown };
  return {
    contact_id: typeof data.contact_id === 'string' ? data.contact_id : null,
    conversation_id: typeof data.conversation_id === 'string' ? data.conversation_id : null,
  };
}

/** `retentionDays`: how long trigger runs are kept (the event log's retention). */
export function triggersStore(db: Firestore, retentionDays: number) {
  const workspace = (ws: string) => db.collection('workspaces').doc(ws);
  const executionRef = (ws: string, id: string) => workspace(ws).collection('executions').doc(id);
  const runRef = (ws: string, eventId: string) => workspace(ws).collection('trigger_runs').doc(eventId);

  return {
    executionRef,
    runRef,

    /** Executions waiting for this contact's reply in this conversation (or in any, when the wait names no conversation): one query. */
    async waitingFor(envelope: Envelope): Promise<WaitingExecution[]> {
      const { contact_id, conversation_id } = threadOf(envelope);
      if (!contact_id) return [];
      const q = WAITING_FOR_REPLY_QUERY;
      const snapshot = await workspace(envelope.workspace_id).collection(q.collection)
        .where(q.contactField, '==', contact_id)
        .where(q.statusField, '==', 'waiting')
        .get();
      return snapshot.docs
        .map((d) => d.data() as ExecutionDoc)
        .filter((x) => x.waiting_for?.kind === 'reply' && (!x.waiting_for.conversation_id || x.waiting_for.conversation_id === conversation_id))
        .map((x) => ({ execution_id: x.execution_id, workflow_id: x.workflow_id, waiting_for: x.waiting_for as WaitingFor }));
    },

    /**
     * The causation chain an execution's events carry (for loop prevention on
     * events that only name the execution); just its workflow for executions
     * created before chains; undefined for an unknown execution.
     */
    async chainOfExecution(ws: string, id: string): Promise<string[] | undefined> {
      const doc = (await executionRef(ws, id).get()).data() as Partial<ExecutionDoc> | undefined;
      if (doc?.caused_by_workflow_ids) return doc.caused_by_workflow_ids;
      return doc?.workflow_id ? [doc.workflow_id] : undefined;
    },

    /**
     * Commits the decision for an event, or returns the one committed before.
     * Undefined when there is nothing to do (no run is recorded then).
     * `chain` is the event's causation chain; each start extends it.
     */
    async commit(envelope: Envelope, starts: readonly Start[], waiting: readonly WaitingExecution[], chain: readonly string[]): Promise<TriggerRun | undefined> {
      const ws = envelope.workspace_id;
      const committedAt = new Date();
      const now = committedAt.toISOString();
      const thread = threadOf(envelope);
      const planned = starts.map((s) => ({
        ...s,
        execution_id: executionId(ws, s.workflow_id, envelope.id),
        caused_by_workflow_ids: chainAfter(chain, s.workflow_id),
      }));

      return db.runTransaction(async (tx) => {
        const run = runRef(ws, envelope.id);
        const refs: DocumentReference[] = [run, ...waiting.map((w) => executionRef(ws, w.execution_id)), ...planned.map((p) => executionRef(ws, p.execution_id))];
        const snapshots = await tx.getAll(...refs);
        const [runSnap, ...rest] = snapshots;
        if (runSnap?.exists) return runSnap.data() as TriggerRun;
        const waitingSnaps = rest.slice(0, waiting.length);
        const startSnaps = rest.slice(waiting.length);

        // Still waiting inside the transaction: a concurrent reply may have claimed it.
        const resumes = waiting.filter((_, i) => waitingSnaps[i]?.get('status') === 'waiting');
        const intercepted = resumes.some((r) => r.waiting_for.intercept);
        const chosen = planned.filter((p) => !(intercepted && p.exclusive));
        if (chosen.length === 0 && resumes.length === 0) return undefined;

        chosen.forEach((p) => {
          if (startSnaps[planned.indexOf(p)]?.exists) return; // created before: never twice
          const doc: ExecutionDoc = {
            execution_id: p.execution_id,
            workflow_id: p.workflow_id,
            workspace_id: ws,
            status: 'starting',
            trigger_id: p.trigger_id,
            trigger_event_id: envelope.id,
            trigger_event_type: envelope.type,
            ...thread,
            caused_by_workflow_ids: p.caused_by_workflow_ids,
            start_published: false,
            created_at: now,
            updated_at: now,
          };
          tx.create(executionRef(ws, p.execution_id), doc);
        });
        const plannedResumes = resumes.map((r) => ({
          execution_id: r.execution_id,
          workflow_id: r.workflow_id,
          resume_id: resumeId(ws, r.execution_id, envelope.id),
          step_id: r.waiting_for.step_id,
        }));
        for (const r of plannedResumes) {
          tx.update(executionRef(ws, r.execution_id), { status: 'resuming', resumed_by_event_id: envelope.id, resume_id: r.resume_id, updated_at: now });
        }
        const record: TriggerRun = {
          event_id: envelope.id,
          starts: chosen.map(({ execution_id, workflow_id, trigger_id, caused_by_workflow_ids }) => ({ execution_id, workflow_id, trigger_id, caused_by_workflow_ids })),
          resumes: plannedResumes,
          published: false,
          created_at: now,
          expire_at: Timestamp.fromDate(expiryAfter(committedAt, retentionDays)),
        };
        tx.create(run, record);
        return record;
      });
    },

    /**
     * The run committed for an event whose messages were never all published;
     * undefined when it started nothing or went out. A plain read, no
     * transaction: it changes nothing, and publishing twice is harmless (same ids).
     */
    async unpublishedRun(ws: string, eventId: string): Promise<TriggerRun | undefined> {
      const run = (await runRef(ws, eventId).get()).data() as TriggerRun | undefined;
      return run && !run.published ? run : undefined;
    },

    /**
     * Makes the recovery of `recoveredEventId`'s stranded run the replay's own
     * decision: an empty, published run under the replay's id, written before
     * the recovered run is published. Every later delivery of the replay then
     * finds this run (commit returns it) and starts nothing of its own. Returns
     * the replay's run as it stands: an earlier delivery may have written it.
     */
    async claimRecovery(replay: Envelope, recoveredEventId: string): Promise<TriggerRun> {
      const ref = runRef(replay.workspace_id, replay.id);
      const committedAt = new Date();
      const record: TriggerRun = {
        event_id: replay.id,
        starts: [],
        resumes: [],
        published: true,
        created_at: committedAt.toISOString(),
        expire_at: Timestamp.fromDate(expiryAfter(committedAt, retentionDays)),
        recovered_event_id: recoveredEventId,
      };
      // Create-if-absent, no transaction: a record, once written, never changes here.
      try {
        await ref.create(record);
        return record;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        return (await ref.get()).data() as TriggerRun;
      }
    },

    /** An event's envelope as the event log keeps it for replays; undefined when it has none. */
    async loggedEnvelope(ws: string, eventId: string): Promise<Envelope | undefined> {
      return entryEnvelope((await eventLogRef(db, ws, eventId).get()).data());
    },

    /** Records that every message of the run went out (one batched commit). */
    async markPublished(ws: string, run: TriggerRun): Promise<void> {
      const batch = db.batch();
      batch.update(runRef(ws, run.event_id), { published: true, published_at: new Date().toISOString() });
      for (const s of run.starts) batch.update(executionRef(ws, s.execution_id), { start_published: true, updated_at: new Date().toISOString() });
      await batch.commit();
    },
  };
}

export type TriggersStore = ReturnType<typeof triggersStore>;
