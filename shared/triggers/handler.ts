/**
 * The triggers subscriber: match the event against the workspace's active
 * workflows (in memory), minus those its causation chain rules out
 * (loops.ts), find executions waiting for this contact's reply,
 * commit the decision once (store.ts), publish it, and return the execution
 * ids so the event log links them to the event.
 */
import type { Topic } from '@google-cloud/pubsub';
import type { Firestore } from '@google-cloud/firestore';
import type { EnvelopeHandler } from '../consumer';
import type { Envelope } from '../envelope';
import { createEnvelopePublisher, type EnvelopePublisher } from '../envelope/publish';
import { getFirestore, getTopic } from '../gcp';
import { createLogger, type Logger } from '../log';
import { triggersConfig, type TriggersConfig } from './config';
import { workflowIndexCache, type WorkflowIndexCache } from './index-cache';
import { causedBy, guardedMatch, logRefusal } from './loops';
import { publishRun } from './publish';
import { triggersStore, type TriggersStore, type WaitingExecution } from './store';

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
  let resolved: { config: TriggersConfig; store: TriggersStore; cache: WorkflowIndexCache; events: EnvelopePublisher; executions: Topic } | undefined;
  const resolve = () => {
    if (!resolved) {
      const config = { ...triggersConfig(), ...deps.config };
      const db = deps.db ?? getFirestore();
      resolved = {
        config,
        store: triggersStore(db, config.retentionDays),
        cache: workflowIndexCache(db, log, config.maxWorkspaces),
        events: deps.events ?? createEnvelopePublisher(config.eventsTopic),
        executions: deps.executions ?? getTopic(config.executionsTopic),
      };
    }
    return resolved;
  };

  const handle: EnvelopeHandler = async (envelope, { log: eventLog, message }) => {
    const { config, store, cache, events, executions } = resolve();
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
    const starts = decision.starts;
    const waiting: WaitingExecution[] = isReply(envelope) ? await store.waitingFor(envelope) : [];

    // Nothing matches now. A first delivery is done; a redelivery still checks
    // for a run an earlier attempt committed but did not finish publishing
    // (the workflows may have changed since).
    if (starts.length === 0 && waiting.length === 0 && message.deliveryAttempt <= 1) return {};

    const run = await store.commit(envelope, starts, waiting, chain);
    if (!run) return {};
    if (!run.published) {
      await publishRun(envelope, run, { executions, events });
      await store.markPublished(ws, run);
      eventLog.info('workflow executions requested', {
        started: run.starts.map((s) => s.workflow_id),
        resumed: run.resumes.map((r) => r.execution_id),
      });
    }
    return { execution_ids: [...run.starts.map((s) => s.execution_id), ...run.resumes.map((r) => r.execution_id)] };
  };

  return {
    handle,
    cache: () => resolve().cache,
    close: () => resolved?.cache.close(),
  };
}
