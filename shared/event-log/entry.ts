/**
 * The event log's document model: what one entry of
 * `workspaces/{ws}/event_log/{id}` (and of the top-level `unrouted_events`)
 * holds, built from what reached the log (an envelope, a rejected batch item,
 * a raw message the normalizer gave up on).
 *
 * Field by field:
 *   kind              'event' (an envelope), 'rejected' (a batch item the
 *                     normalizer could not map), 'raw' (a whole webhook body
 *                     the normalizer failed on after every retry), 'unknown'
 *   event_id          the envelope id, rejection id or raw message id (= doc id)
 *   timestamp         Firestore Timestamp of the event time; lists order by it
 *   received_at       when the edge received the webhook (null if unknown)
 *   logged_at         when the log writer first wrote the entry
 *   expire_at         timestamp + retention days (Firestore TTL deletes it);
 *                     for a replay, the later of timestamp and logging time
 *   platform, type, type_domain ("messaging"), type_entity ("messaging.message"),
 *   block_id, contact_id, source, request_id, raw_platform_event_id
 *                     flat copies for equality filters and display; null when absent
 *   replay_of         the entry a replay was made from (metadata.replay_of_entry:
 *                     an event, a rejected item or a failed body; older replays:
 *                     metadata.replay_of); null when the event is no replay
 *   envelope_json     the envelope as JSON text (text, because platform_detail
 *                     may hold nested arrays Firestore cannot store); null with
 *                     envelope_omitted=true when it would not fit the 1 MiB doc
 *   raw_ref           id of the stored webhook body in `raw_messages` (replay input);
 *                     on an event only when it came from a webhook (originOf)
 *   raw_json          the rejected item / failed body itself, as JSON text,
 *                     cut at MAX_INLINE_RAW_BYTES with raw_truncated=true
 *   rejection         { reason, detail, path } for kind 'rejected'
 *   accounts          the platform account ids an unroutable item names
 *                     (accounts.ts); only on rejected entries that have some,
 *                     so `GET /unrouted?account=` can find them
 *
 * Written by others, never by the builders here: status, consumers,
 * execution_ids, last_error (outcomes.ts), replays (events-api), replayed
 * (the log writer sets it from `replays` when it writes the entry, a replay
 * sets it true: the `replayed` filter), and on `unrouted_events` entries
 * replayed_at / routed_to (events-api unrouted-replay.ts).
 */
import { Timestamp } from '@google-cloud/firestore';
import { originOf, type Envelope } from '../envelope';
import { REJECTION_LIMITS, REJECTION_REASONS, type RejectedItem, type RejectionReason } from '../contracts/rejection';
import type { RawMessageAttributes } from '../contracts/raw-message';
import { entryAccounts } from './accounts';
import { expiryAfter } from './config';
import { rawMessageId } from './raw-store';

export type EntryKind = 'event' | 'rejected' | 'raw' | 'unknown';

/** Reasons the log gives itself, next to the normalizer's REJECTION_REASONS. */
export const LOG_REASONS = {
  normalizer_failed: 'the normalizer failed on the whole webhook body after every retry',
  unrecognized_message: 'the message was neither an envelope, a rejection nor a webhook body',
} as const;
export type EntryReason = RejectionReason | keyof typeof LOG_REASONS;
/** Every `rejection.reason` an entry can carry (filterable in the unrouted API). */
export const ENTRY_REASONS = [...Object.keys(REJECTION_REASONS), ...Object.keys(LOG_REASONS)] as readonly EntryReason[];

/** Firestore allows 1 MiB per document; these leave room for the other fields. */
export const MAX_ENVELOPE_BYTES = 400_000;
export const MAX_INLINE_RAW_BYTES = 400_000;

/** The fields the log writer owns (never status/consumers/execution_ids/replays). */
export interface EntryFields {
  kind: EntryKind;
  event_id: string;
  workspace_id: string | null;
  timestamp: Timestamp;
  received_at: Timestamp | null;
  logged_at: Timestamp;
  expire_at: Timestamp;
  platform: string | null;
  type: string | null;
  type_domain: string | null;
  type_entity: string | null;
  block_id: string | null;
  contact_id: string | null;
  source: string | null;
  request_id: string | null;
  raw_platform_event_id: string | null;
  replay_of: string | null;
  envelope_json: string | null;
  envelope_omitted?: boolean;
  raw_ref: string | null;
  raw_json: string | null;
  raw_truncated: boolean;
  rejection: { reason: EntryReason; detail: string; path: string } | null;
  /** Absent, not [], when there are none: envelope entries (nearly all of them) stay as they were. */
  accounts?: string[];
}

/** `messaging.message.received` → domain `messaging`, entity `messaging.message`. */
export function typeParts(type: string): { type_domain: string; type_entity: string | null } {
  const parts = type.split('.');
  return { type_domain: parts[0] ?? type, type_entity: parts.length >= 3 ? parts.slice(0, 2).join('.') : null };
}

/** The times a Firestore Timestamp holds (0001-01-01 to 9999-12-31); outside them Timestamp.fromDate throws. */
const FIRST_MS = -62_135_596_800_000;
const LAST_MS = 253_402_300_799_999;

/** Whether epoch milliseconds `ms` is a time the event log (a Firestore Timestamp) can hold: years 1 to 9999. */
export const isStorableTime = (ms: number): boolean => ms >= FIRST_MS && ms <= LAST_MS;

function dateOr(value: string | undefined, fallback: Date): Date {
  if (!value) return fallback;
  const ms = Date.parse(value);
  // A time Firestore cannot store would fail the write on every delivery: the entry is dated by the fallback instead.
  return isStorableTime(ms) ? new Date(ms) : fallback;
}

const ts = (d: Date) => Timestamp.fromDate(d);

/** Text cut to at most `max` UTF-8 bytes (flagged), so one huge payload never blocks the entry. */
export function fitText(text: string, max: number): { text: string; truncated: boolean } {
  if (Buffer.byteLength(text, 'utf8') <= max) return { text, truncated: false };
  // Cutting bytes may split a multi-byte character; toString replaces the stray bytes.
  return { text: Buffer.from(text, 'utf8').subarray(0, max).toString('utf8'), truncated: true };
}

function jsonText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
}

/** The envelope a log entry keeps (`envelope_json`), as stored; undefined when it kept none (too large, or no event). */
export function entryEnvelope(data: Record<string, unknown> | undefined): Envelope | undefined {
  const json = data?.envelope_json;
  return typeof json === 'string' ? (JSON.parse(json) as Envelope) : undefined;
}

type EntryOptions = { now: Date; retentionDays: number };

/**
 * The one entry builder: every field the log writer owns, filled with its
 * default (null, false, logged now, kept for the retention from `at` unless
 * `keptFrom` says otherwise), then what this kind of entry knows.
 */
function entry(
  kind: EntryKind,
  eventId: string,
  at: Date,
  opts: EntryOptions & { keptFrom?: Date },
  known: Partial<EntryFields>,
): EntryFields {
  return {
    kind,
    event_id: eventId,
    workspace_id: null,
    timestamp: ts(at),
    received_at: null,
    logged_at: ts(opts.now),
    expire_at: ts(expiryAfter(opts.keptFrom ?? at, opts.retentionDays)),
    platform: null,
    type: null,
    type_domain: null,
    type_entity: null,
    block_id: null,
    contact_id: null,
    source: null,
    request_id: null,
    raw_platform_event_id: null,
    replay_of: null,
    envelope_json: null,
    raw_ref: null,
    raw_json: null,
    raw_truncated: false,
    rejection: null,
    ...known,
  };
}

/** `raw_json` / `raw_truncated`: the text, cut to fit the entry. */
function rawText(text: string): Pick<EntryFields, 'raw_json' | 'raw_truncated'> {
  const raw = fitText(text, MAX_INLINE_RAW_BYTES);
  return { raw_json: raw.text, raw_truncated: raw.truncated };
}

export function fromEnvelope(envelope: Envelope, opts: EntryOptions): EntryFields {
  const at = dateOr(envelope.timestamp, opts.now);
  const json = JSON.stringify(envelope);
  const fits = Buffer.byteLength(json, 'utf8') <= MAX_ENVELOPE_BYTES;
  const data = envelope.data as { contact_id?: unknown };
  const meta = envelope.metadata;
  // A replay keeps its original's event time, which may be weeks old: it is kept
  // for the retention from when it was made, or a replay on day 29 would expire the next day.
  const keptFrom = meta.source === 'replay' && opts.now > at ? opts.now : at;
  const requestId = meta.request_id ?? null;
  return entry(
    'event',
    envelope.id,
    at,
    { ...opts, keptFrom },
    {
      workspace_id: envelope.workspace_id,
      received_at: meta.received_at ? ts(dateOr(meta.received_at, opts.now)) : null,
      platform: envelope.platform,
      type: envelope.type,
      ...typeParts(envelope.type),
      block_id: envelope.block_id,
      contact_id: typeof data.contact_id === 'string' ? data.contact_id : null,
      source: meta.source ?? null,
      request_id: requestId,
      raw_platform_event_id: meta.raw_platform_event_id,
      // The entry replayed: an event, or a rejected item / failed body that a replay turned into events.
      replay_of: meta.replay_of_entry ?? meta.replay_of ?? null,
      envelope_json: fits ? json : null,
      ...(fits ? {} : { envelope_omitted: true }),
      // Webhook bodies are stored once per request by the raw store; internal and derived events have none. A replay
      // keeps its original's request id, and names the body only if the original came from that webhook: any other
      // event's request_id is just a claim, and the body it names may hold another workspace's items.
      raw_ref:
        requestId && envelope.platform !== 'convotic' && originOf(meta) === 'webhook' ? rawMessageId(envelope.platform, requestId) : null,
    },
  );
}

export function fromRejected(item: RejectedItem, opts: EntryOptions): EntryFields {
  const accounts = entryAccounts(item);
  return entry('rejected', item.id, dateOr(item.received_at ?? item.rejected_at, opts.now), opts, {
    workspace_id: item.workspace_id ?? null,
    received_at: item.received_at ? ts(dateOr(item.received_at, opts.now)) : null,
    platform: item.platform,
    block_id: item.block_id ?? null,
    source: 'webhook',
    request_id: item.request_id ?? null,
    raw_platform_event_id: item.raw_platform_event_id ?? null,
    raw_ref: item.request_id ? rawMessageId(item.platform, item.request_id) : null,
    ...rawText(jsonText(item.raw)),
    rejection: { reason: item.reason, detail: boundedDetail(item.detail), path: item.path },
    ...(accounts.length ? { accounts } : {}),
  });
}

/** A rejection's detail within REJECTION_LIMITS (the normalizer already cuts its own; a publisher may not have). */
function boundedDetail(detail: unknown): string {
  const text = typeof detail === 'string' ? detail : String(detail);
  const fit = fitText(text, REJECTION_LIMITS.detailBytes);
  return fit.truncated ? `${fit.text} … [truncated: ${Buffer.byteLength(text, 'utf8')} bytes]` : text;
}

/** A webhook body the normalizer failed on after every retry (from webhook-raw-dead-letter). */
export function fromRawDeadLetter(body: Buffer, attrs: RawMessageAttributes, opts: EntryOptions & { deliveryCount?: number }): EntryFields {
  const at = dateOr(attrs.received_at, opts.now);
  const id = rawMessageId(attrs.platform, attrs.request_id);
  return entry('raw', id, at, opts, {
    workspace_id: attrs.workspace_id ?? null,
    received_at: ts(at),
    platform: attrs.platform,
    block_id: attrs.block_id ?? null,
    source: 'webhook',
    request_id: attrs.request_id,
    raw_ref: id,
    ...rawText(body.toString('utf8')),
    rejection: {
      reason: 'normalizer_failed',
      detail: `the normalizer failed on this webhook body${opts.deliveryCount ? ` after ${opts.deliveryCount} delivery attempts` : ''}`,
      path: '',
    },
  });
}

/** Anything else that reached the log: kept (cut to fit) so nothing is invisible. */
export function fromUnknown(
  id: string,
  body: Buffer,
  attributes: Record<string, string>,
  opts: EntryOptions & { why: string },
): EntryFields {
  return entry('unknown', id, opts.now, opts, {
    platform: attributes.platform ?? null,
    ...rawText(JSON.stringify({ attributes, data: body.toString('utf8') })),
    rejection: { reason: 'unrecognized_message', detail: opts.why, path: '' },
  });
}
