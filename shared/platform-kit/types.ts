/**
 * The two halves a platform implements (shared/platforms/<platform>/index.ts
 * exports one of each, as `edge` and `normalizer`) and what each is given:
 *
 *   EdgeAdapter        its webhook function's half, run by shared/edge/pipeline.ts:
 *                      authenticate a POST (and, for Meta, answer the subscription
 *                      handshake). Everything else (method, path, size, content type,
 *                      JSON, publish, status codes, logging) is the pipeline's and is
 *                      the same for all platforms.
 *   NormalizerAdapter  its normalizer half, run by shared/normalize/normalize.ts:
 *                      split a parsed body into batch items, map a routed item to
 *                      event drafts. Adapters never build envelopes themselves: ids,
 *                      metadata and validation are done once, by the normalizer.
 */
import type { Connector } from './connect';
import type { BlockRegistry } from '../contracts/blocks';
import type { EventData, EventType } from '../envelope';
import type { IdPart } from '../envelope/ids';
import type { Logger } from '../runtime/log';
import type { Platform } from '../platforms';
import type { RejectionReason } from '../contracts/rejection';
import type { Headers } from './headers';

/** What a platform folder's index.ts exports; shared/platforms/registry.ts lists one per platform. */
export interface PlatformModule {
  edge: EdgeAdapter;
  normalizer: NormalizerAdapter;
  /** How the blocks API connects an account of this platform (./connect.ts); absent until the platform has one. */
  connector?: Connector;
}

// ---- the edge half -------------------------------------------------------

/** Why a signature check failed; the result of every pure verifier. */
export type SignatureFailure = 'missing_signature' | 'bad_signature' | 'secret_not_configured';
export type VerifyResult = { ok: true } | { ok: false; reason: SignatureFailure };

/** Why authentication failed. Callers only ever learn missing_signature or bad_signature (see the pipeline). */
export type AuthFailure =
  | SignatureFailure
  /** LINE: the body names no `destination`, or one no Block is connected to. */
  | 'unknown_destination'
  /** Telegram: no Block has this secret token. */
  | 'unknown_secret_token';

export interface ResolvedBlock {
  block_id: string;
  workspace_id: string;
}

export type AuthOutcome = { ok: true; block?: ResolvedBlock } | { ok: false; reason: AuthFailure };

export interface AuthInput {
  rawBody: Buffer;
  headers: Headers;
  /** The body parsed from rawBody: a JSON object. Only for lookups (LINE destination), never trusted. */
  json: Record<string, unknown>;
}

/** What an adapter reads of its webhook function's configuration (shared/edge/config.ts loads all of it). */
export interface AdapterConfig {
  /** Meta only: app secrets, current first (several during a rotation). Empty: every POST is rejected. */
  readonly appSecrets: readonly string[];
  /** Meta only: verify tokens, current first. Empty: every handshake is rejected. */
  readonly verifyTokens: readonly string[];
}

export interface AuthContext {
  config: AdapterConfig;
  /** Present for platforms whose secrets are per Block (needsRegistry). */
  registry: BlockRegistry | undefined;
  log: Logger;
}

export type HandshakeOutcome =
  | { ok: true; challenge: string; tokenIndex: number }
  | { ok: false; status: 400 | 403; reason: 'invalid_handshake' | 'unknown_verify_token' };

export interface EdgeAdapter {
  readonly platform: Platform;
  /** Whether authenticate needs the Block registry (per-Block secrets). */
  readonly needsRegistry: boolean;
  /** Answers `GET` (Meta's subscription verification). Absent: GET is 405. */
  handshake?(query: URLSearchParams, config: AdapterConfig): HandshakeOutcome;
  /** Synchronous when no lookup is needed (Meta): the hot path then awaits nothing (docs/performance.md#sync-when-nothing-is-pending). */
  authenticate(input: AuthInput, ctx: AuthContext): AuthOutcome | Promise<AuthOutcome>;
}

// ---- the normalizer half -------------------------------------------------

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

export interface NormalizerAdapter {
  platform: Platform;
  /**
   * Splits a parsed body into batch items. Returns a string (why) when the body
   * is not a payload of this platform at all: the whole message is unparseable.
   */
  split(body: unknown): SplitResult | string;
  /** Maps one routed item to zero or more drafts; throws ItemProblem (./problems.ts) for a bad or unsupported item. */
  map(item: BatchItem, ctx: MapContext): Draft[];
}
