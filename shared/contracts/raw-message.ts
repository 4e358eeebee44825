/**
 * The `webhook-raw` message contract, between the webhook edge (publisher) and
 * the normalizer (subscriber). This file is the single source of the attribute
 * names: both sides import RAW_ATTR rather than spelling them.
 *
 *   data        kind 'webhook':   the request body exactly as received (the
 *                                 bytes the signature was verified over; never
 *                                 re-serialized).
 *               kind 'handshake': a HandshakeRecord as UTF-8 JSON.
 *   attributes  RawMessageAttributes (all values are strings, as Pub/Sub requires).
 *
 * One message per accepted request; batches are split by the normalizer.
 * Secrets (app secrets, verify tokens, channel secrets, Telegram secret
 * tokens) are never part of a message.
 */
import { isPlatform, type Platform } from '../platforms';

export const RAW_ATTR = {
  platform: 'platform',
  receivedAt: 'received_at',
  requestId: 'request_id',
  kind: 'kind',
  contentType: 'content_type',
  blockId: 'block_id',
  workspaceId: 'workspace_id',
} as const;

export const RAW_KINDS = ['webhook', 'handshake'] as const;
/** 'webhook': a verified platform delivery. 'handshake': a Meta subscription verification we answered. */
export type RawKind = (typeof RAW_KINDS)[number];

export interface RawMessageAttributes {
  platform: Platform;
  /** ISO 8601 time the edge received the request (not the platform's event time). */
  received_at: string;
  /** The Cloud trace id of the request when present, else a generated UUID; also on the edge's log line. */
  request_id: string;
  kind: RawKind;
  /** The request's Content-Type header as sent (e.g. `application/json; charset=utf-8`). */
  content_type: string;
  /**
   * Set only when the edge itself resolved the Block to authenticate the request
   * (LINE by `destination`, Telegram by secret token); the normalizer may rely on
   * them. Meta requests are authenticated by the app secret and name no Block here.
   */
  block_id?: string;
  workspace_id?: string;
}

/**
 * Body of a 'handshake' message: Meta confirmed a subscription (GET hub.mode=subscribe
 * with a verify token we know). The normalizer turns it into `platform.webhook.verified`.
 * The edge no longer publishes these: verify tokens are app-level, so a verification
 * names no Block and is no event (it logs `verify_token_index` instead, edge/pipeline.ts).
 * Records an older edge published, and the normalize CLI's `--kind handshake`, still read.
 */
export interface HandshakeRecord {
  kind: 'webhook.verified';
  platform: Platform;
  verified_at: string;
  verify_token_index: number;
  block_id?: string;
}

/** Reads the attributes of a `webhook-raw` message; undefined when a required one is missing or invalid. */
export function parseRawAttributes(attributes: Record<string, string> | undefined): RawMessageAttributes | undefined {
  if (!attributes) return undefined;
  const platform = attributes[RAW_ATTR.platform];
  const kind = attributes[RAW_ATTR.kind];
  const receivedAt = attributes[RAW_ATTR.receivedAt];
  const requestId = attributes[RAW_ATTR.requestId];
  if (!isPlatform(platform) || !receivedAt || !requestId) return undefined;
  if (!(RAW_KINDS as readonly string[]).includes(kind ?? '')) return undefined;
  const parsed: RawMessageAttributes = {
    platform,
    received_at: receivedAt,
    request_id: requestId,
    kind: kind as RawKind,
    content_type: attributes[RAW_ATTR.contentType] ?? 'application/json',
  };
  const blockId = attributes[RAW_ATTR.blockId];
  const workspaceId = attributes[RAW_ATTR.workspaceId];
  if (blockId) parsed.block_id = blockId;
  if (workspaceId) parsed.workspace_id = workspaceId;
  return parsed;
}

/** The Pub/Sub attribute map for a message (drops unset optional attributes). */
export function rawAttributes(attrs: RawMessageAttributes): Record<string, string> {
  const out: Record<string, string> = {
    [RAW_ATTR.platform]: attrs.platform,
    [RAW_ATTR.receivedAt]: attrs.received_at,
    [RAW_ATTR.requestId]: attrs.request_id,
    [RAW_ATTR.kind]: attrs.kind,
    [RAW_ATTR.contentType]: attrs.content_type,
  };
  if (attrs.block_id) out[RAW_ATTR.blockId] = attrs.block_id;
  if (attrs.workspace_id) out[RAW_ATTR.workspaceId] = attrs.workspace_id;
  return out;
}
