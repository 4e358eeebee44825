/**
 * What the normalizer could not turn into an envelope, published to the
 * `webhook-rejected` topic (with the reason and the raw item) instead of being
 * dropped or retried forever. The event log lists these, so nothing is invisible.
 */
import type { Platform } from '../platforms';

export const REJECTION_REASONS = {
  /** The account the event is for is not connected to any Block. */
  unroutable: 'no Block is connected for the account the event names',
  /** The event is of a kind we do not map (yet); the raw item is kept for replay. */
  unsupported: 'the event kind has no mapping',
  /** The item is of a known kind but lacks a required field or has a wrong one. */
  invalid: 'a required field is missing or malformed',
  /** The whole message body could not be parsed; poison, never retried. */
  unparseable: 'the body is not a webhook payload we can parse',
} as const;

export type RejectionReason = keyof typeof REJECTION_REASONS;

/**
 * What a rejection may quote of the offending value, so one hostile item can
 * neither overflow a stack nor outgrow a Firestore entity (1 MiB): `detail` is
 * cut at `detailBytes` (saying so), `raw` nests at most `rawDepth` levels
 * (deeper, it is kept as text: the first `rawQuoteBytes` of it, saying so).
 */
export const REJECTION_LIMITS = {
  detailBytes: 2048,
  rawDepth: 64,
  rawQuoteBytes: 65_536,
} as const;

export interface RejectedItem {
  /** Deterministic: the same item rejected twice has the same id. */
  id: string;
  reason: RejectionReason;
  /** Human-readable detail, naming the batch item and the field (`entry[0].messaging[2].sender.id is missing`). */
  detail: string;
  platform: Platform;
  /** Where the item sits in the body, e.g. `entry[0].changes[1].value.statuses[0]`; "" for the whole body. */
  path: string;
  /** The batch item as JSON, or the body as a string when it could not be parsed. */
  raw: unknown;
  /**
   * On `unroutable` rejections: the platform account ids the item names (page
   * id, Instagram account id, WhatsApp phone_number_id, LINE destination),
   * most specific first, as the Block registry was asked about them. Kept as a
   * field, not only in `detail`, so an operator who connects the Block can list
   * that account's unrouted items (`GET /unrouted?account=`) and replay them.
   * Absent when the item names none (a Meta handshake, a Telegram update).
   * Account ids identify, they authenticate nothing: never a secret here.
   */
  accounts?: string[];
  raw_platform_event_id?: string;
  /** Known when the Block was resolved but the item itself failed. */
  workspace_id?: string;
  block_id?: string;
  request_id?: string;
  received_at?: string;
  rejected_at: string;
}
