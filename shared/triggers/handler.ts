/**
 * The triggers subscriber: match the event against the workspace's active
 * workflows (in memory), minus those its causation chain rules out
 * (loops.ts), find executions waiting for this contact's reply,
 * commit the decision once (store.ts), publish it, and return the execution
 * ids so the event log links them to the event.
 *
 * A replay of an event (events-api, `metadata.replay_of`) first publishes the
 * run that event's own delivery committed and never published: when every
 * delivery of it failed to publish, the replay is the only way out for those
 * start and resume requests (see store.ts and ../outbox/outbox.ts).
 */
import type { Topic } from '@google-cloud/pubsub';
import type { Firestore } from '@google-cloud/firestore';
import type { EnvelopeHandler } from '../runtime/consumer';
import type { Envelope } from '../envelope';
import { createEnvelopePublisher, type EnvelopePublisher } from '../envelope/publish';
import { getFirestore, getTopic } from '../runtime/gcp';
import { createLogger, type Logger } from '../runtime/log';
import { triggersConfig, type TriggersConfig } from './config';
import { workflowIndexCache, type WorkflowIndexCache } from './index-cache';
import { causedBy, guardedMatch, logRefusal, refusalNote } from './loops';
import { publishRun } from './publish';
import { replayedEvent } from './replayed';
import { triggersStore, type TriggerRun, type TriggersStore, type WaitingExecution } from './store';

/** The executions a run started and resumed, which the event log links to the event. */
function executionIdsOf(run: TriggerRun): string[] {
  return [...run.starts.map((s) => s.execution_id), ...run.resumes.map((r) => r.execution_id)];
}

export interface TriggersDeps {
  db?: Firestore;
  events?: EnvelopePublisher;
  executions?: Topic;
  config?: Partial<TriggersConfig>;
  logger?: Logger;
}

export interface TriggersService {
  handle: EnvelopeHandler;
  /** The workflow index cache (created on the first event). */
  cache(): WorkflowIndexCache;
  /** Stops the workflow listeners. */
  close(): void;
}

/** A reply to a Wait for Reply step: an inbound message from the contact. */
function isReply(envelope: Envelope): boolean {
  return envelope.type === 'messaging.message.received' && envelope.data.message.direction === 'inbound';
}

export function createTriggersService(deps: TriggersDeps = {}): TriggersService {
  const log = deps.logger ?? createLogger({ component: 'triggers' });
  let resolved: { config: TriggersConfig; store: TriggersStore; cache: WorkflowIndexCache } | undefined;
  const resolve = () => {
    if (!resolved) {
      const config = { ...triggersConfig(), ...deps.config };
      const db = deps.db ?? getFirestore();
      const out = {
        events: deps.events ?? createEnvelopePublisher(config.eventsTopic),
        executions: deps.executions ?? getTopic(config.executionsTopic),
      };
      resolved = {
        config,
        store: triggersStore(db, config.retentionDays, (run, event) => publishRun(event, run, out)),
        cache: workflowIndexCache(db, log, config.maxWorkspaces),
      };
    }
    return resolved;
  };

  /** After a run went out: for a first delivery, a redelivery and a replay. */
  const requested = (run: TriggerRun, eventLog: Logger): void => {
    eventLog.info('workflow executions requested', {
      trigger_event_id: run.event_id,
      started: run.starts.map((s) => s.workflow_id),
      resumed: run.resumes.map((r) => r.execution_id),
    });
  };

  /**
   * For a replay: the run the replayed event's delivery committed but never
   * published, published now as its redelivery would have, for the event it
   * was committed for (replayed.ts). That run IS the replay's effect: the
   * replay's own run is claimed as empty first, so no delivery of the replay
   * starts the same workflows a second time under its own ids. Returns the
   * recovered run, or undefined when there is none to recover and the replay
   * is decided as any event. Only replays pay the read (more when there is such a run).
   */
  const recoverReplayedRun = async (envelope: Envelope, eventLog: Logger): Promise<TriggerRun | undefined> => {
    const { store } = resolve();
    const ws = envelope.workspace_id;
    const run = await store.runs.recover(
      envelope,
      async (replayedId) => replayedEvent(envelope, replayedId, await store.loggedEnvelope(ws, replayedId)),
      { event_id: envelope.id, starts: [], resumes: [] },
    );
    if (run) requested(run, eventLog);
    return run;
  };

  const handle: EnvelopeHandler = async (envelope, { log: eventLog, message }) => {
    const { config, store, cache } = resolve();
    const recovered = await recoverReplayedRun(envelope, eventLog);
    if (recovered) return { execution_ids: executionIdsOf(recovered) };
    const ws = envelope.workspace_id;
    const index = await cache.get(ws);

    const cause = causedBy(envelope);
    let chain = cause.chain;
    let decision = guardedMatch(index, envelope, chain, config.maxChainDepth);
    // The event names only the execution that caused it: read that execution's
    // chain and decide again with it. Only when something would start: a read
    // per match, not per event.
    if (decision.starts.length > 0 && cause.executionId) {
      chain = (await store.chainOfExecution(ws, cause.executionId)) ?? [];
      decision = guardedMatch(index, envelope, chain, config.maxChainDepth);
    }
    for (const refusal of decision.refused) logRefusal(eventLog, refusal);
    // The refusals also go to the event's log entry (consumers.triggers.notes), where operators look first.
    const notes = decision.refused.length ? { notes: decision.refused.map(refusalNote) } : {};
    const starts = decision.starts;
    const waiting: WaitingExecution[] = isReply(envelope) ? await store.waitingFor(envelope) : [];

    // Nothing matches now. A first delivery is done; a redelivery still checks
    // for a run an earlier attempt committed but did not finish publishing
    // (the workflows may have changed since).
    if (starts.length === 0 && waiting.length === 0 && message.deliveryAttempt <= 1) return notes;

    const run = await store.commit(envelope, starts, waiting, chain);
    if (!run) return notes;
    // Sent now; the run is marked published while the consumer reports the outcome (settling).
    const sent = await store.runs.send(ws, envelope.id, run, envelope);
    if (sent) requested(run, eventLog);
    return { execution_ids: executionIdsOf(run), ...notes, ...(sent ? { settling: sent.marked } : {}) };
  };

  return {
    handle,
    cache: () => resolve().cache,
    close: () => resolved?.cache.close(),
  };
}
