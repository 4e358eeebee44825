/**
 * What a message pushed to the event log is. One function, `eventLog`, is fed
 * by five subscriptions (events, webhook-rejected, events-dead-letter,
 * webhook-raw-dead-letter, webhook-raw); it tells them apart by what the
 * message carries, not by subscription name, so renamed or test subscriptions
 * work the same:
 *   - Pub/Sub's dead-letter attributes mark a dead letter; its data is an
 *     envelope (from `events`) or a webhook body (from `webhook-raw`);
 *   - envelopes carry `event_id` / `ce-specversion` attributes (publish.ts);
 *   - rejections are JSON with a known `reason` and `rejected_at` (rejection.ts);
 *   - webhook bodies carry the raw-message attributes (raw-message.ts).
 */
import { REJECTION_REASONS, type RejectedItem } from '../contracts/rejection';
import { parseRawAttributes, type RawMessageAttributes } from '../contracts/raw-message';
import type { PushMessage } from '../contracts/pubsub-push';

/** Attributes Pub/Sub adds when it forwards a message to a dead-letter topic. */
export const DEAD_LETTER_ATTR = {
  sourceSubscription: 'CloudPubSubDeadLetterSourceSubscription',
  deliveryCount: 'CloudPubSubDeadLetterSourceDeliveryCount',
} as const;

export interface DeadLetterInfo {
  sourceSubscription: string;
  deliveryCount: number | undefined;
}

export type Classified =
  | { kind: 'envelope'; json: unknown; deadLetter?: DeadLetterInfo }
  | { kind: 'rejected'; item: RejectedItem }
  | { kind: 'raw'; attrs: RawMessageAttributes; deadLetter?: DeadLetterInfo }
  | { kind: 'unknown'; why: string; deadLetter?: DeadLetterInfo };

function parseJson(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
}

function isRejectedItem(value: unknown): value is RejectedItem {
  const v = value as Partial<RejectedItem> | null;
  return (
    !!v &&
    typeof v === 'object' &&
    typeof v.id === 'string' &&
    typeof v.rejected_at === 'string' &&
    typeof v.reason === 'string' &&
    Object.prototype.hasOwnProperty.call(REJECTION_REASONS, v.reason) &&
    typeof v.platform === 'string'
  );
}

function looksLikeEnvelope(value: unknown): boolean {
  const v = value as { id?: unknown; type?: unknown; workspace_id?: unknown } | null;
  return !!v && typeof v === 'object' && typeof v.id === 'string' && typeof v.type === 'string' && typeof v.workspace_id === 'string';
}

export function classify(message: PushMessage): Classified {
  const attrs = message.attributes;
  const source = attrs[DEAD_LETTER_ATTR.sourceSubscription];
  const count = Number(attrs[DEAD_LETTER_ATTR.deliveryCount]);
  const deadLetter: DeadLetterInfo | undefined = source
    ? { sourceSubscription: source, deliveryCount: Number.isInteger(count) && count > 0 ? count : undefined }
    : undefined;
  const dl = deadLetter ? { deadLetter } : {};

  if (attrs.event_id || attrs['ce-specversion']) return { kind: 'envelope', json: parseJson(message.data), ...dl };
  const json = parseJson(message.data);
  if (!deadLetter && isRejectedItem(json)) return { kind: 'rejected', item: json };
  const raw = parseRawAttributes(attrs);
  if (raw) return { kind: 'raw', attrs: raw, ...dl };
  if (looksLikeEnvelope(json)) return { kind: 'envelope', json, ...dl };
  return { kind: 'unknown', why: 'neither an envelope, a rejection nor a webhook body', ...dl };
}
