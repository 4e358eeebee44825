/**
 * Turns an envelope handler into an HTTP function for a Pub/Sub push
 * subscription on `events`: decode, validate, run, report the outcome to the
 * event log, and ack (2xx) or nack (500) so Pub/Sub retries with backoff and
 * finally dead-letters. Handlers must be idempotent: delivery is at least once.
 */
import type { HttpFunction } from '@google-cloud/functions-framework';
import type { Firestore } from '@google-cloud/firestore';
import { validateEnvelope, type Envelope } from './envelope';
import { getFirestore } from './gcp';
import { createLogger, type Logger } from './log';
import { reportOutcome } from './event-log/outcomes';
import { isPushBody, parsePushBody, type PushMessage } from './pubsub-push';

export interface ConsumerContext {
  log: Logger;
  message: PushMessage;
}

export interface ConsumerResult {
  /** Workflow executions started for the event, linked into its log entry. */
  execution_ids?: string[];
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
    let envelope: Envelope;
    try {
      const result = validateEnvelope(JSON.parse(message.data.toString('utf8')));
      if (!result.ok) throw new Error(result.violations.map((v) => `${v.path} ${v.message}`).join('; '));
      envelope = result.envelope;
    } catch (err) {
      // Retrying cannot fix a malformed envelope: ack it and say so loudly.
      baseLog.error('undecodable envelope acknowledged without processing', {
        outcome: 'rejected',
        reason: 'invalid_envelope',
        message_id: message.messageId,
        error: err,
      });
      res.status(204).end();
      return;
    }

    const log = baseLog.child({ event_id: envelope.id, type: envelope.type, workspace_id: envelope.workspace_id, attempt: message.deliveryAttempt });
    const report = (status: 'success' | 'retrying', extra: { error?: string; execution_ids?: string[] } = {}) =>
      reportOutcome(db(), {
        workspace_id: envelope.workspace_id,
        event_id: envelope.id,
        consumer: name,
        status,
        attempt: message.deliveryAttempt,
        ...extra,
      });

    try {
      const result = (await handle(envelope, { log, message })) ?? {};
      await report('success', { execution_ids: result.execution_ids });
      log.debug('event processed', { outcome: 'success' });
      res.status(204).end();
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      log.error('event processing failed; Pub/Sub will retry', { outcome: 'retrying', error: err });
      await report('retrying', { error }).catch((reportErr) => log.error('could not report the failure to the event log', { error: reportErr }));
      res.status(500).json({ error: 'processing_failed', message: error });
    }
  };
}
