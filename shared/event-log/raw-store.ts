/**
 * Webhook bodies kept for 30 days so a replay can run a platform event
 * through the current normalizer (a fixed mapping then repairs old events).
 *
 * The event log subscribes to `webhook-raw` as well (subscription
 * `event-log-raw`) and stores each message once, at
 * `raw_messages/{rawMessageId(platform, request_id)}`. Envelopes name their
 * request in `metadata.request_id`, which is how a log entry finds its body.
 * Stored whole (not per batch item) because splitting is the normalizer's job
 * and the body-level context (Meta `entry[].id`, WhatsApp `metadata`) is
 * needed to normalize an item again. Bodies may hold several workspaces'
 * events (Meta batches), so this collection is never shown to a workspace
 * as is: see extractItem.
 */
import { createHash } from 'node:crypto';
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { isAlreadyExists } from '../runtime/firestore-codes';
import { hashId } from '../envelope/ids';
import type { RawMessageAttributes } from '../contracts/raw-message';
import { expiryAfter } from './config';

export const RAW_MESSAGES = 'raw_messages';
/**
 * Every stored body starts `pending` for reconciliation (shared/reconcile),
 * which checks it reached the log once it is old enough and then moves it on,
 * so a run reads only what it has not settled: one indexed query per shard on
 * (shard, reconcile, received_at) in topology.json.
 */
export const RECONCILE_FIELD = 'reconcile';
export const RECONCILE_PENDING = 'pending';
/**
 * Every body is created with `received_at` = now, so an index holding it takes
 * all new entries at one end: Firestore's 500 writes/s for the whole
 * collection. Its only index is reconciliation's, led by `shard`, which spreads
 * those writes over RAW_SHARDS ranges (500 each). Grow it, never shrink it: a
 * run reads shards 0 to RAW_SHARDS - 1, so a body in a higher shard is never
 * read again.
 */
export const SHARD_FIELD = 'shard';
export const RAW_SHARDS = 32;
/** A stored body must leave room in its 1 MiB document for the attributes. */
export const MAX_RAW_BODY_BYTES = 900_000;

export interface StoredRawMessage {
  platform: string;
  request_id: string;
  attributes: Record<string, string>;
  /** The body as UTF-8 text, or base64 when it is not valid UTF-8; null when too large. */
  body: string | null;
  encoding: 'utf8' | 'base64';
  size: number;
  /** True when the body was too large to keep: the entry is listed, but cannot be re-normalized. */
  truncated: boolean;
  workspace_id: string | null;
  received_at: Timestamp;
  expire_at: Timestamp;
  /** `pending` until reconciliation settles it (shared/reconcile/store.ts has the other states). */
  reconcile?: string;
  /** How many times reconciliation replayed what was missing. */
  reconcile_attempts?: number;
  /** rawShard of the document id; absent on bodies stored before sharding (shared/reconcile/store.ts reads those apart). */
  shard?: number;
}

/** Deterministic: a redelivered raw message lands on the same document. */
export function rawMessageId(platform: string, requestId: string): string {
  return hashId('raw', [platform, requestId]);
}

/** The shard of the body stored at `id`: a hash of the id, so a redelivery writes the same one. */
export function rawShard(id: string): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) % RAW_SHARDS;
}

function encode(body: Buffer): { body: string; encoding: 'utf8' | 'base64' } {
  const text = body.toString('utf8');
  return Buffer.from(text, 'utf8').equals(body) ? { body: text, encoding: 'utf8' } : { body: body.toString('base64'), encoding: 'base64' };
}

export function rawRecord(
  data: Buffer,
  attrs: RawMessageAttributes,
  attributes: Record<string, string>,
  retentionDays: number,
  now: Date,
): StoredRawMessage {
  const receivedMs = Date.parse(attrs.received_at);
  const received = Number.isNaN(receivedMs) ? now : new Date(receivedMs);
  const fits = data.length <= MAX_RAW_BODY_BYTES;
  const encoded = fits ? encode(data) : { body: null, encoding: 'utf8' as const };
  return {
    platform: attrs.platform,
    request_id: attrs.request_id,
    attributes,
    ...encoded,
    size: data.length,
    truncated: !fits,
    workspace_id: attrs.workspace_id ?? null,
    received_at: Timestamp.fromDate(received),
    // Entries expire at event time + retention; event time precedes receipt, so the body outlives them.
    expire_at: Timestamp.fromDate(expiryAfter(received, retentionDays)),
    reconcile: RECONCILE_PENDING,
    shard: rawShard(rawMessageId(attrs.platform, attrs.request_id)),
  };
}

/** Create-if-absent: a redelivery rewrites nothing. */
export async function storeRawMessage(db: Firestore, record: StoredRawMessage): Promise<'created' | 'exists'> {
  try {
    await db.collection(RAW_MESSAGES).doc(rawMessageId(record.platform, record.request_id)).create(record);
    return 'created';
  } catch (err) {
    if (isAlreadyExists(err)) return 'exists';
    throw err;
  }
}

export async function loadRawMessage(db: Firestore, id: string): Promise<StoredRawMessage | undefined> {
  const snap = await db.collection(RAW_MESSAGES).doc(id).get();
  return snap.exists ? (snap.data() as StoredRawMessage) : undefined;
}

export function rawBody(record: StoredRawMessage): Buffer | undefined {
  if (record.body === null) return undefined;
  return Buffer.from(record.body, record.encoding === 'base64' ? 'base64' : 'utf8');
}

/**
 * The batch item at `path` (`entry[0].messaging[2]`, `events[4]`, "" for the
 * whole body) of a JSON body; undefined when the body is not JSON or the path
 * leads nowhere.
 */
export function extractItem(body: Buffer, path: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  for (const token of path.match(/[^.[\]]+|\[\d+\]/g) ?? []) {
    if (value === null || typeof value !== 'object') return undefined;
    value = token.startsWith('[') ? (value as unknown[])[Number(token.slice(1, -1))] : (value as Record<string, unknown>)[token];
  }
  return value;
}
