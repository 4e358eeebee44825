/**
 * Builds RejectedItem values (shared/contracts/rejection.ts). The id hashes the item's
 * content and place, so the same item rejected on a redelivery has the same
 * id and the event log records it once.
 */
import { hashId } from '../envelope/ids';
import type { Platform } from '../platforms';
import { REJECTION_LIMITS, type RejectedItem, type RejectionReason } from '../contracts/rejection';
import { boundedJson, deeperThan, quote } from '../runtime/bounded';
import type { Route } from '../platform-kit/types';

export interface RejectionInput {
  platform: Platform;
  reason: RejectionReason;
  path: string;
  detail: string;
  raw: unknown;
  accounts?: RejectedItem['accounts'];
  rawPlatformEventId?: string;
  route?: Route;
  requestId?: string;
  receivedAt?: string;
  now: Date;
}

function fingerprint(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  try {
    return JSON.stringify(raw) ?? 'undefined';
  } catch {
    return String(raw);
  }
}

/**
 * The rejection of one item, within REJECTION_LIMITS: a raw item nested past
 * `rawDepth` is kept as bounded text (stringifying it would overflow the stack
 * here, at publish, and in the log), and `detail` is cut at `detailBytes`;
 * both say so.
 */
export function rejection(input: RejectionInput): RejectedItem {
  const { rawDepth, rawQuoteBytes, detailBytes } = REJECTION_LIMITS;
  let raw = input.raw;
  let detail = input.detail;
  if (deeperThan(raw, rawDepth)) {
    raw = boundedJson(raw, rawDepth, rawQuoteBytes).text;
    detail += ` (the item nests deeper than ${rawDepth} levels: raw keeps it as text, cut at that depth and at ${rawQuoteBytes} bytes)`;
  }
  const item: RejectedItem = {
    id: hashId('rej', [input.platform, input.reason, input.path, fingerprint(raw)]),
    reason: input.reason,
    detail: quote(detail, detailBytes).text,
    platform: input.platform,
    path: input.path,
    raw,
    rejected_at: input.now.toISOString(),
  };
  // Not part of the id: the accounts are read from the raw item, which the id already hashes.
  if (input.accounts?.length) item.accounts = [...input.accounts];
  if (input.rawPlatformEventId) item.raw_platform_event_id = input.rawPlatformEventId;
  if (input.route) {
    item.workspace_id = input.route.workspaceId;
    item.block_id = input.route.blockId;
  }
  if (input.requestId) item.request_id = input.requestId;
  if (input.receivedAt) item.received_at = input.receivedAt;
  return item;
}
