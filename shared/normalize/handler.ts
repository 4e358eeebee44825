/**
 * The normalizer as an HTTP function behind a Pub/Sub push subscription on
 * `webhook-raw`: decode the push, normalize, publish envelopes to `events`
 * and rejections to `webhook-rejected`, then ack (204).
 *
 *   not a push body                      → 400 (nothing to retry)
 *   attributes without a valid platform  → 500: no rejection can be formed
 *                                           without a platform, so Pub/Sub retries
 *                                           and dead-letters it to webhook-raw-dead-letter,
 *                                           where the event log records it
 *   body unparseable / other attributes  → rejection `unparseable`, ack (poison is never retried)
 *   Block registry unreachable           → 500, retried
 *   any publish fails                    → 500, retried (ids are deterministic, so a
 *                                           retry republishes the same ids and consumers dedupe)
 */
import type { HttpFunction, Response } from '@google-cloud/functions-framework';
import type { EnvelopePublisher } from '../envelope/publish';
import { createEnvelopePublisher } from '../envelope/publish';
import { createLogger, type Logger } from '../runtime/log';
import { ageMs, originReceivedAt, startSpan, traceFromAttributes, traceLogFields, withDelivery, type Span } from '../runtime/trace';
import { isPlatform } from '../platforms';
import { isPushBody, parsePushBody, type PushMessage } from '../contracts/pubsub-push';
import { RAW_ATTR, parseRawAttributes } from '../contracts/raw-message';
import { normalizerConfig } from './config';
import { normalizeNow, type NormalizeInput } from './normalize';
import { createRejectionPublisher, type RejectionPublisher } from './publish-rejection';
import { rejection } from './rejections';
import type { Router } from './router';
import type { NormalizeResult } from './types';

/** The event ids the success line names: a 5,000-item body listed in full made a ~165 KB line, near Cloud Logging's 256 KB entry limit; the log itself lists them all. */
const LOGGED_EVENT_IDS = 20;

export interface NormalizerDeps {
  router: () => Router;
  events?: EnvelopePublisher;
  rejections?: RejectionPublisher;
  logger?: Logger;
}

const LEVEL = { unparseable: 'error', invalid: 'warn', unroutable: 'warn', unsupported: 'notice' } as const;

export function createNormalizerHandler(deps: NormalizerDeps): HttpFunction {
  const config = normalizerConfig();
  const log = deps.logger ?? createLogger({ component: 'normalizer' });
  let events = deps.events;
  let rejected = deps.rejections;

  return (req, res) => {
    if (!isPushBody(req.body)) {
      log.warn('request is not a Pub/Sub push', { outcome: 'rejected', reason: 'not_a_push' });
      res.status(400).json({ error: 'not_a_push', message: 'expected a Pub/Sub push request body' });
      return;
    }
    const message = parsePushBody(req.body);
    const platform = message.attributes[RAW_ATTR.platform];
    const requestId = message.attributes[RAW_ATTR.requestId];
    // Continues the webhook's trace: the envelopes and rejections published below carry it on (trace.ts).
    const span = startSpan('normalizer', traceFromAttributes(message.attributes), 'consumer');
    const receivedAt = originReceivedAt(message.attributes, message.attributes[RAW_ATTR.receivedAt]);
    const mlog = log.child({
      message_id: message.messageId,
      request_id: requestId,
      platform,
      attempt: message.deliveryAttempt,
      ...traceLogFields(span.context),
    });
    // Not awaited here: each promise a request makes costs under the framework's per-request domain.
    return withDelivery({ trace: span.context, receivedAt }, () => handleRaw(res, message, platform, requestId, mlog, receivedAt, span));
  };

  /** One raw message, inside its delivery's trace: normalize, publish, answer. */
  async function handleRaw(
    res: Response,
    message: PushMessage,
    platform: string | undefined,
    requestId: string | undefined,
    mlog: Logger,
    receivedAt: string | undefined,
    span: Span,
  ): Promise<void> {
    try {
      if (!isPlatform(platform)) {
        mlog.error('raw message names no known platform; nacked so it dead-letters', { outcome: 'retrying', reason: 'no_platform' });
        res.status(500).json({ error: 'no_platform', message: `attribute ${RAW_ATTR.platform} is missing or unknown` });
        return;
      }

      events ??= createEnvelopePublisher(config.eventsTopic);
      rejected ??= createRejectionPublisher(config.rejectedTopic);

      let result: NormalizeResult;
      const attrs = parseRawAttributes(message.attributes);
      if (!attrs) {
        const item = rejection({
          platform,
          reason: 'unparseable',
          path: '',
          now: new Date(),
          requestId,
          detail: `the raw message attributes are incomplete (need ${RAW_ATTR.platform}, ${RAW_ATTR.receivedAt}, ${RAW_ATTR.requestId}, ${RAW_ATTR.kind})`,
          raw: message.data.toString('utf8'),
        });
        result = { envelopes: [], rejections: [item] };
      } else {
        const input: NormalizeInput = {
          platform,
          kind: attrs.kind,
          body: message.data,
          receivedAt: attrs.received_at,
          requestId: attrs.request_id,
          blockId: attrs.block_id,
          workspaceId: attrs.workspace_id,
        };
        try {
          const normalized = normalizeNow(input, deps.router());
          result = normalized instanceof Promise ? await normalized : normalized; // docs/performance.md#await-only-what-is-pending
        } catch (err) {
          mlog.error('could not route the batch; Pub/Sub will retry', { outcome: 'retrying', error: err });
          res.status(500).json({ error: 'routing_unavailable', message: (err as Error).message });
          return;
        }
      }

      const sends: Promise<string>[] = [];
      try {
        for (const e of result.envelopes) sends.push(events.publish(e));
        for (const r of result.rejections) sends.push(rejected.publish(r));
        // The common message is one envelope: awaited as is, without a Promise.all around it.
        await (sends.length === 1 ? sends[0] : Promise.all(sends));
      } catch (err) {
        mlog.error('publishing failed; Pub/Sub will retry', {
          outcome: 'retrying',
          error: err,
          envelopes: result.envelopes.length,
          rejections: result.rejections.length,
        });
        res.status(500).json({ error: 'publish_failed', message: (err as Error).message });
        return;
      }

      for (const r of result.rejections) {
        if (attrs?.kind === 'handshake' && r.reason === 'unroutable') {
          // Meta verified our webhook for the app subscription (no Block named): a success, not a refusal.
          mlog.info('webhook verified by the platform (app subscription: no Block named)', {
            outcome: 'verified',
            rejection_id: r.id,
          });
          continue;
        }
        mlog[LEVEL[r.reason]](`batch item rejected: ${r.reason}`, {
          reason: r.reason,
          path: r.path,
          detail: r.detail,
          rejection_id: r.id,
          block_id: r.block_id,
        });
      }
      mlog.info('raw message normalized', {
        outcome: 'success',
        age_ms: ageMs(receivedAt),
        envelopes: result.envelopes.length,
        rejections: result.rejections.length,
        event_ids: result.envelopes.slice(0, LOGGED_EVENT_IDS).map((e) => e.id),
        ...(result.envelopes.length > LOGGED_EVENT_IDS ? { event_ids_truncated: true } : {}),
      });
      res.status(204).end();
    } finally {
      span.end(res.statusCode >= 500 ? res.statusCode : undefined);
    }
  }
}
