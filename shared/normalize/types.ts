/**
 * The normalizer's vocabulary: what an adapter gets (a parsed body), what it
 * hands back (batch items, then event drafts), and what the orchestration
 * returns (envelopes and rejections). Adapters never build envelopes
 * themselves: ids, metadata and validation are done once, in normalize.ts.
 */
import type { Platform } from '../platforms';
import type { EventType, EventData } from '../envelope';
import type { RejectedItem, RejectionReason } from '../rejection';
import type { Envelope } from '../envelope';
import type { IdPart } from '../envelope/ids';

/** The Block and workspace an event belongs to, from our own records. */
export interface Route {
  workspaceId: string;
  blockId: string;
}

/** One event-bearing element of a webhook body, with where it sits in the body. */
export interface BatchItem {
  /** `entry[0].messaging[2]`, `events[4]`, `` for a Telegram update. */
  path: string;
  /** The element as the platform sent it (kept verbatim in a rejection). */
  raw: unknown;
  /**
   * Platform account ids that may name the Block, most specific first (page id,
   * Instagram account id, phone_number_id, LINE destination). Empty when only
   * the edge's Block attribute can route the item (Telegram).
   */
  accounts: string[];
  /** Adapter-private context the mapper needs (the entry, the WhatsApp value...). */
  context?: unknown;
}

/** What an adapter's split returns: the items, and the parts it already knows are bad. */
export interface SplitResult {
  items: BatchItem[];
  problems: ItemProblemValue[];
}

/** A batch item (or part of one) that yields no envelope, and why. */
export interface ItemProblemValue {
  reason: Exclude<RejectionReason, 'unparseable'>;
  path: string;
  detail: string;
  raw: unknown;
  rawPlatformEventId?: string;
}

/** One event an adapter mapped, before ids, metadata and validation. */
export interface Draft<K extends EventType = EventType> {
  type: K;
  /** ISO 8601, the platform's time of the event. */
  timestamp: string;
  data: EventData<K>;
  /** The platform's own id for the event (mid, wamid, webhookEventId, update_id...). */
  rawId: string;
  /** Tells apart several events with one rawId (a status, an emoji, a message id of a receipt). */
  discriminator?: IdPart[];
  /** The platform's name for what happened, e.g. `messaging.reaction`, `statuses.read`. */
  kind: string;
  /** Platform-specific extras worth keeping (metadata.platform_detail). */
  detail?: Record<string, unknown>;
}

/** Helpers a mapper gets for its routed item: derived ids and the message's time fallbacks. */
export interface MapContext {
  platform: Platform;
  route: Route;
  /** The edge's receive time, for events whose payload carries no time of their own. */
  receivedAt: string;
  contactId(platformUserId: string): string;
  conversationId(platformConversationId: string): string;
  messageId(platformMessageId: string): string;
}

/** A platform adapter: one module per platform, one entry in adapters.ts. */
export interface PlatformAdapter {
  platform: Platform;
  /**
   * Splits a parsed body into batch items. Returns a string (why) when the body
   * is not a payload of this platform at all: the whole message is unparseable.
   */
  split(body: unknown): SplitResult | string;
  /** Maps one routed item to zero or more drafts; throws ItemProblem for a bad or unsupported item. */
  map(item: BatchItem, ctx: MapContext): Draft[];
}

export interface NormalizeResult {
  envelopes: Envelope[];
  rejections: RejectedItem[];
}
