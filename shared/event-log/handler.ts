/**
 * The `eventLog` HTTP function: reads a Pub/Sub push, records what it carries
 * (see classify.ts), and acks. Answers 500 only when Firestore failed, so that
 * Pub/Sub retries; anything retrying cannot fix is recorded as it is and acked.
 *
 *   envelope                 -> workspace log entry (status from consumer reports)
 *   envelope dead letter     -> entry (if missing) + consumer of the source
 *                               subscription marked failed => status failed;
 *                               the log's own subscription only writes the
 *                               entry (the event's processing did not fail)
 *   rejected batch item      -> workspace log entry, status rejected; or
 *                               unrouted_events when no workspace is known
 *   webhook body             -> raw_messages (replay input)
 *   webhook body dead letter -> entry kind raw, status failed (workspace log
 *                               when the edge named the workspace, else unrouted_events)
 *   anything else            -> unrouted_events, kind unknown
 */
import type { HttpFunction } from '@google-cloud/functions-framework';
import type { Firestore } from '@google-cloud/firestore';
import { validateEnvelope } from '../envelope';
import { hashId } from '../envelope/ids';
import { getFirestore } from '../runtime/gcp';
import { createLogger, type Logger } from '../runtime/log';
import { ageMs, originReceivedAt, startSpan, traceFromAttributes, traceLogFields } from '../runtime/trace';
import { isPushBody, parsePushBody, type PushMessage } from '../contracts/pubsub-push';
import { classify, type DeadLetterInfo } from './classify';
import { retentionDays as readRetention } from './config';
import { fromEnvelope, fromRawDeadLetter, fromRejected, fromUnknown } from './entry';
import { consumerForSubscription, EVENT_LOG_CONSUMER, reportOutcome } from './outcomes';
import { rawRecord, storeRawMessage } from './raw-store';
import { writeEntry } from './writer';

export interface EventLogOptions {
  db?: () => Firestore;
  logger?: Logger;
  retentionDays?: number;
  /** Extra subscription -> consumer names for dead letters (topology.json is the default). */
  subscriptionConsumers?: Record<string, string>;
  now?: () => Date;
}

export function createEventLogHandler(options: EventLogOptions = {}): HttpFunction {
  const db = options.db ?? getFirestore;
  const log = options.logger ?? createLogger({ component: 'event-log' });
  const days = options.retentionDays ?? readRetention();
  const now = options.now ?? (() => new Date());

  /** `log`: the message's logger, in its trace. */
  async function record(message: PushMessage, log: Logger): Promise<Record<string, unknown>> {
    const what = classify(message);
    const opts = { now: now(), retentionDays: days };
    switch (what.kind) {
      case 'envelope': {
        const result = validateEnvelope(what.json);
        if (!result.ok) {
          const why = `invalid envelope: ${result.violations.map((v) => `${v.path} ${v.message}`).join('; ')}`;
          return recordUnknown(message, why, what.deadLetter, log);
        }
        const envelope = result.envelope;
        const written = await writeEntry(db(), fromEnvelope(envelope, opts));
        if (what.deadLetter) {
          const consumer = consumerForSubscription(what.deadLetter.sourceSubscription, options.subscriptionConsumers);
          const attempts = what.deadLetter.deliveryCount ?? message.deliveryAttempt;
          if (consumer === EVENT_LOG_CONSUMER) {
            // The log could not write the entry in time, and just did. Contacts and triggers report for themselves:
            // a `failed` here would show a processed event as failed, and invite a replay that runs its workflows again.
            log.warn("the event log's own delivery was dead-lettered; the entry is written now", {
              event_id: envelope.id,
              workspace_id: envelope.workspace_id,
              attempt: attempts,
            });
            return { entry: 'event', event_id: envelope.id, written, dead_letter: consumer };
          }
          await reportOutcome(db(), {
            workspace_id: envelope.workspace_id,
            event_id: envelope.id,
            consumer,
            status: 'failed',
            attempt: attempts,
          });
          return { entry: 'event', event_id: envelope.id, written, dead_letter: consumer };
        }
        return { entry: 'event', event_id: envelope.id, written };
      }
      case 'rejected': {
        const fields = fromRejected(what.item, opts);
        return {
          entry: 'rejected',
          event_id: fields.event_id,
          workspace_id: fields.workspace_id,
          written: await writeEntry(db(), fields, 'rejected'),
        };
      }
      case 'raw': {
        if (what.deadLetter) {
          const fields = fromRawDeadLetter(message.data, what.attrs, { ...opts, deliveryCount: what.deadLetter.deliveryCount });
          // Keep the body for a replay too (the raw subscription stored it already, unless it failed as well).
          await storeRawMessage(db(), rawRecord(message.data, what.attrs, message.attributes, days, opts.now));
          return { entry: 'raw', event_id: fields.event_id, written: await writeEntry(db(), fields, 'failed') };
        }
        const stored = await storeRawMessage(db(), rawRecord(message.data, what.attrs, message.attributes, days, opts.now));
        return { entry: 'raw_message', stored };
      }
      case 'unknown':
        return recordUnknown(message, what.why, what.deadLetter, log);
    }
  }

  async function recordUnknown(
    message: PushMessage,
    why: string,
    deadLetter: DeadLetterInfo | undefined,
    log: Logger,
  ): Promise<Record<string, unknown>> {
    const id = hashId('unk', [message.subscription, message.messageId]);
    const detail = deadLetter ? `${why} (dead-lettered from ${deadLetter.sourceSubscription})` : why;
    const fields = fromUnknown(id, message.data, message.attributes, { now: now(), retentionDays: days, why: detail });
    log.error('unrecognized message recorded in unrouted_events', {
      reason: detail,
      message_id: message.messageId,
      subscription: message.subscription,
    });
    return { entry: 'unknown', event_id: id, written: await writeEntry(db(), fields, 'failed') };
  }

  return async (req, res) => {
    if (req.method !== 'POST') {
      res
        .status(405)
        .set('Allow', 'POST')
        .json({ error: 'method_not_allowed', message: 'the event log takes Pub/Sub push requests (POST)' });
      return;
    }
    if (!isPushBody(req.body)) {
      log.warn('request is not a Pub/Sub push', { outcome: 'rejected', reason: 'not_a_push' });
      res.status(400).json({ error: 'not_a_push', message: 'expected a Pub/Sub push request body' });
      return;
    }
    const message = parsePushBody(req.body);
    // The log writes no messages: its span only joins its lines to the webhook's trace.
    const span = startSpan('event-log', traceFromAttributes(message.attributes), 'consumer');
    const mlog = log.child(traceLogFields(span.context));
    try {
      const outcome = await record(message, mlog);
      // age_ms: from the edge's receive time (raw messages carry it as received_at) to now, for the latency metrics.
      const age = ageMs(originReceivedAt(message.attributes, message.attributes.received_at), now());
      mlog.info('recorded', { ...outcome, message_id: message.messageId, subscription: message.subscription, age_ms: age });
      span.end();
      res.status(204).end();
    } catch (err) {
      span.end(err);
      mlog.error('could not record the message; Pub/Sub will retry', {
        message_id: message.messageId,
        subscription: message.subscription,
        error: err,
      });
      res.status(500).json({ error: 'log_write_failed', message: err instanceof Error ? err.message : String(err) });
    }
  };
}
