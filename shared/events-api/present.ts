/**
 * Log documents as the API shows them: a summary per list row, the full
 * entry for one event. Only this workspace's data leaves: a stored webhook
 * body may carry other workspaces' events (Meta batches), so an event shows
 * only its own batch item (metadata.raw_path), or the whole body when the
 * edge tied the body to this workspace (LINE, Telegram).
 */
import type { DocumentSnapshot, Firestore, Timestamp } from '@google-cloud/firestore';
import { entryEnvelope } from '../event-log/entry';
import { extractItem, loadRawMessage, rawBody } from '../event-log/raw-store';
import { boundedJson, deeperThan } from '../runtime/bounded';

/** A Firestore Timestamp as ISO 8601; null when absent. */
export const iso = (t: unknown) => (t && typeof (t as Timestamp).toDate === 'function' ? (t as Timestamp).toDate().toISOString() : null);

/** How deep a payload the API shows as JSON; deeper, answering it would overflow the stack (a 500), so it is shown cut, as text. */
const MAX_SHOWN_DEPTH = 64;

/** A parsed payload as the API can answer it: itself, or, nested past MAX_SHOWN_DEPTH, its JSON cut at that depth (a string). */
export function showable(value: unknown): unknown {
  return deeperThan(value, MAX_SHOWN_DEPTH) ? boundedJson(value, MAX_SHOWN_DEPTH, MAX_SHOWN_BYTES).text : value;
}
const MAX_SHOWN_BYTES = 400_000;

/** Stored JSON text as the value it holds (the text itself when it is not JSON, or nests too deep to answer). */
export function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  return deeperThan(value, MAX_SHOWN_DEPTH) ? text : value;
}

export function summary(doc: DocumentSnapshot): Record<string, unknown> {
  const d = doc.data() ?? {};
  const status = d.status ?? 'processing';
  return {
    id: doc.id,
    kind: d.kind,
    timestamp: iso(d.timestamp),
    received_at: iso(d.received_at),
    platform: d.platform ?? null,
    type: d.type ?? null,
    status,
    block_id: d.block_id ?? null,
    contact_id: d.contact_id ?? null,
    source: d.source ?? null,
    execution_ids: d.execution_ids ?? [],
    replay_of: d.replay_of ?? null,
    replays: d.replays ?? [],
    consumers: d.consumers ?? {},
    ...(status === 'retrying' || status === 'failed' ? { last_error: d.last_error ?? null } : {}),
    ...(d.rejection ? { rejection: d.rejection } : {}),
  };
}

export interface RawView {
  available: boolean;
  payload?: unknown;
  truncated?: boolean;
  note?: string;
}

async function rawView(
  db: Firestore,
  workspaceId: string,
  d: Record<string, unknown>,
  envelope: { metadata?: { raw_path?: unknown } } | null,
): Promise<RawView> {
  if (typeof d.raw_json === 'string') {
    return { available: true, payload: d.raw_truncated ? d.raw_json : parseJson(d.raw_json), truncated: d.raw_truncated === true };
  }
  if (typeof d.raw_ref !== 'string') return { available: false, note: 'no platform payload: the event was not carried by a webhook' };
  const stored = await loadRawMessage(db, d.raw_ref);
  if (!stored) return { available: false, note: 'the webhook body was not stored (it arrived before the raw store, or has expired)' };
  const body = rawBody(stored);
  if (!body) return { available: false, truncated: true, note: `the webhook body (${stored.size} bytes) was too large to keep` };
  const path = envelope?.metadata?.raw_path;
  // A named item is this event's own; "" names the whole body, which only the edge's workspace tie below makes safe to show.
  if (typeof path === 'string' && path !== '') {
    const item = extractItem(body, path);
    if (item !== undefined) return { available: true, payload: showable(item) };
  }
  if (stored.workspace_id === workspaceId) return { available: true, payload: parseJson(body.toString('utf8')) };
  return {
    available: false,
    note: "the webhook body is stored (replay uses it) but may hold other workspaces' events, and this event does not name its batch item",
  };
}

export async function detail(db: Firestore, workspaceId: string, doc: DocumentSnapshot): Promise<Record<string, unknown>> {
  const d = doc.data() ?? {};
  const envelope = entryEnvelope(d) ?? null;
  return {
    ...summary(doc),
    logged_at: iso(d.logged_at),
    expire_at: iso(d.expire_at),
    request_id: d.request_id ?? null,
    raw_platform_event_id: d.raw_platform_event_id ?? null,
    envelope,
    ...(d.envelope_omitted ? { envelope_omitted: true } : {}),
    raw: await rawView(db, workspaceId, d, envelope),
    last_error: d.last_error ?? null,
  };
}
