/**
 * Firestore side of the triggers subscriber: the decision taken for an event
 * is committed once, in one transaction, and replayed on every redelivery
 * (the outbox, ../outbox/outbox.ts).
 *
 *   workspaces/{ws}/trigger_runs/{event_id}
 *     { event_id, starts: [...], resumes: [...], published: false, created_at, expire_at }   with the executions, same transaction
 *     { published: true, published_at }, executions { start_published: true }               after every message went out
 *
 *   delivery 1: match -> tx(create executions, claim waiting ones, create run) -> publish -> mark published
 *   delivery 2: tx sees the run -> nothing is decided again (even if the
 *               workflows or the waiting executions changed meanwhile) ->
 *               re-publish when not yet published (same request ids, the engine dedupes)
 *
 * When every delivery fails to publish (a long Pub/Sub outage), the message
 * dead-letters and there is no delivery 2: executions stay `starting` with
 * `start_published: false`, and a claimed execution stays `resuming`, which no
 * later reply will claim again. The operator's recovery is a replay
 * (events-api): a new event whose `metadata.replay_of` names this one. Its
 * handling re-publishes this run just as delivery 2 would (`runs.recover`,
 * handler.ts), before deciding for the replay itself.
 *
 * Executions are created exactly once per (event, workflow): their id is
 * executionId(ws, workflow, event) and they are created with a precondition
 * (an existing one is left alone). A waiting execution is claimed by exactly
 * one reply: the transaction moves it from `waiting` to `resuming`, and a
 * concurrent reply's transaction then sees it is no longer waiting.
 */
import type { Firestore } from '@google-cloud/firestore';
import { entryEnvelope } from '../event-log/entry';
import { eventLogRef } from '../event-log/outcomes';
import { executionId, hashId, type Envelope } from '../envelope';
import { createOutbox, type OutboxRecord } from '../outbox/outbox';
import type { ExecutionDoc, WaitingFor } from '../workflows/execution';
import { hasRedirects, personOfEnvelope } from '../contacts/person';
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

interface RunBody {
  event_id: string;
  starts: PlannedStart[];
  resumes: PlannedResume[];
}

/**
 * A replay's run may be claimed empty, published and with
 * `recovered_event_id`: the replayed event whose stranded run this replay
 * published instead of deciding for itself (handler.ts). Such a run starts
 * and resumes nothing, so the replay's workflows run once, not twice.
 */
export type TriggerRun = OutboxRecord<RunBody>;

/** Sends a committed run's messages for the event it was committed for (publish.ts publishRun). */
export type SendRun = (run: TriggerRun, event: Envelope) => Promise<void>;

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

/** `retentionDays`: how long trigger runs are kept (the event log's retention). `send`: how a run goes out. */
export function triggersStore(db: Firestore, retentionDays: number, send: SendRun) {
  const workspace = (ws: string) => db.collection('workspaces').doc(ws);
  const executionRef = (ws: string, id: string) => workspace(ws).collection('executions').doc(id);
  /** Marking a run published marks its executions' starts too, in the same batch. */
  const runs = createOutbox<RunBody, Envelope>(db, {
    collection: 'trigger_runs',
    retentionDays,
    send,
    alsoWhenPublished: (batch, ws, run, now) => {
      for (const s of run.starts) batch.update(executionRef(ws, s.execution_id), { start_published: true, updated_at: now });
    },
  });

  return {
    executionRef,
    /** The runs outbox: `commit` below records a run, `runs.send` (and `runs.recover` for a replay) sends it (handler.ts). */
    runs,

    /**
     * Executions waiting for this contact's reply in this conversation (or in any, when the wait names no conversation): one query.
     * Where a person has several contact ids (hasRedirects), a wait may name another id of the same person: one the reply names
     * beside its own (a WhatsApp phone number, a Messenger user_ref), which contacts may not have tied to it yet, or one merged
     * with it since. The reply looks under all of them (shared/contacts/person.ts).
     */
    async waitingFor(envelope: Envelope): Promise<WaitingExecution[]> {
      const { contact_id, conversation_id } = threadOf(envelope);
      if (!contact_id) return [];
      const ws = envelope.workspace_id;
      const person = hasRedirects(envelope.platform) ? await personOfEnvelope(db, envelope) : undefined;
      // The thread's own ids where the contacts subscriber reads none (an event naming no Block).
      const contactIds = person?.contactIds.length ? person.contactIds : [contact_id];
      const conversationIds = person?.conversationIds.length ? person.conversationIds : conversation_id ? [conversation_id] : [];
      const q = WAITING_FOR_REPLY_QUERY;
      const snapshot = await workspace(ws)
        .collection(q.collection)
        .where(q.contactField, 'in', contactIds)
        .where(q.statusField, '==', 'waiting')
        .get();
      return snapshot.docs
        .map((d) => d.data() as ExecutionDoc)
        .filter(
          (x) =>
            x.waiting_for?.kind === 'reply' && (!x.waiting_for.conversation_id || conversationIds.includes(x.waiting_for.conversation_id)),
        )
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
    async commit(
      envelope: Envelope,
      starts: readonly Start[],
      waiting: readonly WaitingExecution[],
      chain: readonly string[],
    ): Promise<TriggerRun | undefined> {
      const ws = envelope.workspace_id;
      const committedAt = new Date();
      const now = committedAt.toISOString();
      const thread = threadOf(envelope);
      const planned = starts.map((s) => ({
        ...s,
        execution_id: executionId(ws, s.workflow_id, envelope.id),
        caused_by_workflow_ids: chainAfter(chain, s.workflow_id),
      }));
      const refs = [...waiting.map((w) => executionRef(ws, w.execution_id)), ...planned.map((p) => executionRef(ws, p.execution_id))];

      const committed = await runs.commit(
        ws,
        envelope.id,
        refs,
        (tx, snapshots) => {
          const waitingSnaps = snapshots.slice(0, waiting.length);
          const startSnaps = snapshots.slice(waiting.length);

          // Still waiting inside the transaction: a concurrent reply may have claimed it.
          const resumes = waiting.filter((_, i) => waitingSnaps[i]?.get('status') === 'waiting');
          const intercepted = resumes.some((r) => r.waiting_for.intercept);
          const chosen = planned.filter((p) => !(intercepted && p.exclusive));
          if (chosen.length === 0 && resumes.length === 0) return {};

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
            tx.update(executionRef(ws, r.execution_id), {
              status: 'resuming',
              resumed_by_event_id: envelope.id,
              resume_id: r.resume_id,
              updated_at: now,
            });
          }
          const recorded = chosen.map(({ execution_id, workflow_id, trigger_id, caused_by_workflow_ids }) => ({
            execution_id,
            workflow_id,
            trigger_id,
            caused_by_workflow_ids,
          }));
          return { record: { event_id: envelope.id, starts: recorded, resumes: plannedResumes } };
        },
        committedAt,
        // Starts only: on missing documents the decision only creates (executions, the run), so it can go as a batch
        // that fails if any exists. A resume must read the execution's status first.
        { createFirst: waiting.length === 0 },
      );
      return committed.record;
    },

    /** An event's envelope as the event log keeps it for replays; undefined when it has none. */
    async loggedEnvelope(ws: string, eventId: string): Promise<Envelope | undefined> {
      return entryEnvelope((await eventLogRef(db, ws, eventId).get()).data());
    },
  };
}

export type TriggersStore = ReturnType<typeof triggersStore>;
