/**
 * Turns an envelope handler into an HTTP function for a Pub/Sub push
 * subscription on `events`: decode, validate, run, report the outcome to the
 * event log, and ack (2xx) or nack (non-2xx) so Pub/Sub retries with backoff
 * and finally dead-letters. Handlers must be idempotent: delivery is at least once.
 *
 * What is acked without processing is only what can never succeed: bytes that
 * are not JSON, or JSON without the identity every envelope has (`id`, `type`,
 * `workspace_id`). An envelope that fails this bundle's schema is nacked: during
 * a rollout the normalizer may already emit a field or type this (older) bundle
 * rejects, and a retry after the rollout succeeds; if it never does, the retry
 * policy and the dead-letter topic bound it and the event log shows it failed.
 */
import type { HttpFunction } from '@google-cloud/functions-framework';
import type { Firestore } from '@google-cloud/firestore';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { EnvelopeBase, validateEnvelope, type Envelope } from '../envelope';
import { NonEmpty } from '../envelope/parts';
import { getFirestore } from './gcp';
import { createLogger, type Logger } from './log';
import { reportOutcome, type ConsumerNote } from '../event-log/outcomes';
import { isPushBody, parsePushBody, type PushMessage } from '../contracts/pubsub-push';
import { ageMs, originReceivedAt, startSpan, traceFromAttributes, traceLogFields, withDelivery } from './trace';

/** The identity every envelope has, whatever its type or version: what makes a message an envelope at all. */
const EnvelopeIdentity = Type.Object({
  id: EnvelopeBase.properties.id,
  type: NonEmpty(),
  workspace_id: EnvelopeBase.properties.workspace_id,
});
type EnvelopeIdentity = Static<typeof EnvelopeIdentity>;
const isEnvelopeIdentity = TypeCompiler.Compile(EnvelopeIdentity);

/** What a message's bytes turned out to be. */
type DecodedMessage =
  | { kind: 'envelope'; envelope: Envelope }
  /** Can never succeed, in this bundle or any other: acked. */
  | { kind: 'unusable'; reason: 'not_json' | 'not_an_envelope'; error: unknown }
  /** An envelope this bundle's schema rejects; a newer bundle may accept it: nacked. */
  | { kind: 'schema_violation'; identity: EnvelopeIdentity; error: string };

function decodeMessage(data: Buffer): DecodedMessage {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch (err) {
    return { kind: 'unusable', reason: 'not_json', error: err };
  }
  if (!isEnvelopeIdentity.Check(value)) {
    return { kind: 'unusable', reason: 'not_an_envelope', error: 'not an object with a valid `id`, `type` and `workspace_id`' };
  }
  const result = validateEnvelope(value);
  if (result.ok) return { kind: 'envelope', envelope: result.envelope };
  const { id, type, workspace_id } = value;
  return {
    kind: 'schema_violation',
    identity: { id, type, workspace_id },
    error: result.violations.map((v) => `${v.path} ${v.message}`).join('; '),
  };
}

export interface ConsumerContext {
  log: Logger;
  message: PushMessage;
}

export interface ConsumerResult {
  /** Workflow executions started for the event, linked into its log entry. */
  execution_ids?: string[];
  /** What the log should say about a success that did less than the event asked (e.g. a start refused as a loop). */
  notes?: ConsumerNote[];
  /**
   * Bookkeeping still under way after the event's effect is done, awaited
   * alongside the outcome report instead of before it (triggers: marking its
   * run published once the messages went out): one round trip less per event.
   * The delivery is acked only when both succeeded; if this fails, it is nacked
   * and the redelivery finishes it (the outbox sends again under the same ids).
   */
  settling?: Promise<unknown>;
}

export type EnvelopeHandler = (envelope: Envelope, context: ConsumerContext) => Promise<ConsumerResult | void>;

export interface ConsumerOptions {
  /** Firestore for outcome reports; the shared client by default. */
  db?: () => Firestore;
  logger?: Logger;
}

export function envelopeConsumer(name: string, handle: EnvelopeHandler, options: ConsumerOptions = {}): HttpFunction {
  const baseLog = options.logger ?? createLogger({ component: name });
  const db = options.db ?? getFirestore;

  return async (req, res) => {
    if (!isPushBody(req.body)) {
      baseLog.warn('request is not a Pub/Sub push', { outcome: 'rejected', reason: 'not_a_push' });
      res.status(400).json({ error: 'not_a_push', message: 'expected a Pub/Sub push request body' });
      return;
    }
    const message = parsePushBody(req.body);
    const decoded = decodeMessage(message.data);
    if (decoded.kind === 'unusable') {
      // Retrying cannot turn these bytes into an envelope: ack, and say so loudly.
      baseLog.error('message is not an envelope: acknowledged without processing', {
        outcome: 'rejected',
        reason: decoded.reason,
        message_id: message.messageId,
        error: decoded.error,
      });
      res.status(204).end();
      return;
    }

    const identity = decoded.kind === 'envelope' ? decoded.envelope : decoded.identity;
    // Continues the webhook's trace; what the handler publishes carries it on (trace.ts).
    const span = startSpan(`${name} ${identity.type}`, traceFromAttributes(message.attributes), 'consumer');
    // Without the attribute (a publisher older than it), the envelope's own receive time; never a replay's, which is the original's.
    const fallback =
      decoded.kind === 'envelope' && decoded.envelope.metadata.source !== 'replay' ? decoded.envelope.metadata.received_at : undefined;
    const receivedAt = originReceivedAt(message.attributes, fallback);
    const log = baseLog.child({
      event_id: identity.id,
      type: identity.type,
      workspace_id: identity.workspace_id,
      attempt: message.deliveryAttempt,
      ...traceLogFields(span.context),
    });
    const report = (status: 'success' | 'retrying', extra: { error?: string; execution_ids?: string[]; notes?: ConsumerNote[] } = {}) =>
      reportOutcome(db(), {
        workspace_id: identity.workspace_id,
        event_id: identity.id,
        consumer: name,
        status,
        attempt: message.deliveryAttempt,
        ...extra,
      });

    if (decoded.kind === 'schema_violation') {
      // Nack: a bundle deployed after this one may accept it (a rollout); if none
      // does, the retry policy and the dead-letter topic bound it.
      const error = `schema violation: ${decoded.error}`;
      log.warn("envelope fails this version's schema; Pub/Sub will retry, then dead-letter it", {
        outcome: 'retrying',
        reason: 'schema_violation',
        message_id: message.messageId,
        error,
      });
      await report('retrying', { error }).catch((reportErr) =>
        log.error('could not report the failure to the event log', { error: reportErr }),
      );
      span.end(error);
      res.status(422).json({ error: 'schema_violation', message: error });
      return;
    }
    const envelope = decoded.envelope;

    try {
      const result = (await withDelivery({ trace: span.context, receivedAt }, () => handle(envelope, { log, message }))) ?? {};
      const [reported, settled] = await Promise.allSettled([
        report('success', { execution_ids: result.execution_ids, notes: result.notes }),
        result.settling,
      ]);
      if (settled.status === 'rejected') throw settled.reason;
      if (reported.status === 'rejected') throw reported.reason;
      const { becameSuccess } = reported.value;
      // age_ms, and success_age_ms when this report made the event `success`: the latency metrics (terraform/monitoring.tf).
      const now = new Date();
      log.info('event processed', {
        outcome: 'success',
        age_ms: ageMs(receivedAt, now),
        success_age_ms: becameSuccess ? ageMs(receivedAt, now) : undefined,
      });
      span.end();
      res.status(204).end();
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      log.error('event processing failed; Pub/Sub will retry', { outcome: 'retrying', error: err });
      await report('retrying', { error }).catch((reportErr) =>
        log.error('could not report the failure to the event log', { error: reportErr }),
      );
      span.end(err);
      res.status(500).json({ error: 'processing_failed', message: error });
    }
  };
}
