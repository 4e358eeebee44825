/**
 * What normalize() takes and returns: a raw message in, envelopes and
 * rejections out. What it hands adapters and gets back from them (batch
 * items, drafts, the MapContext) is the platforms' contract, in
 * shared/platform-kit/types.ts.
 */
import type { Envelope } from '../envelope';
import type { Platform } from '../platforms';
import type { RawKind } from '../contracts/raw-message';
import type { RejectedItem } from '../contracts/rejection';

export interface NormalizeInput {
  platform: Platform;
  kind: RawKind;
  /** The body exactly as received. */
  body: Buffer | string;
  receivedAt?: string;
  requestId?: string;
  /** Set when the edge resolved the Block (LINE, Telegram). */
  blockId?: string;
  workspaceId?: string;
}

export interface NormalizeResult {
  envelopes: Envelope[];
  rejections: RejectedItem[];
}
