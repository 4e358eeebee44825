/**
 * `unrouted_events` entries as the operator routes show them: a summary per
 * list row, the whole entry for one. Operators see the raw item in full (no
 * workspace to scope it to), and whether the webhook body that carried it is
 * still stored, which is what a replay needs.
 */
import type { DocumentSnapshot, Firestore } from '@google-cloud/firestore';
import { loadRawMessage } from '../event-log/raw-store';
import { iso, parseJson } from './present';

export function unroutedSummary(doc: DocumentSnapshot): Record<string, unknown> {
  const d = doc.data() ?? {};
  return {
    id: doc.id,
    kind: d.kind ?? null,
    timestamp: iso(d.timestamp),
    received_at: iso(d.received_at),
    platform: d.platform ?? null,
    status: d.status ?? null,
    rejection: d.rejection ?? null,
    accounts: d.accounts ?? [],
    block_id: d.block_id ?? null,
    request_id: d.request_id ?? null,
    raw_platform_event_id: d.raw_platform_event_id ?? null,
    replays: d.replays ?? [],
    routed_to: d.routed_to ?? [],
    replayed_at: iso(d.replayed_at),
  };
}

export interface BodyView {
  /** True when a replay can run the body through the normalizer again. */
  stored: boolean;
  size?: number;
  note?: string;
}

async function bodyView(db: Firestore, rawRef: unknown): Promise<BodyView> {
  if (typeof rawRef !== 'string')
    return { stored: false, note: 'the entry names no webhook body (not a webhook item, or no request id), so it cannot be replayed' };
  const stored = await loadRawMessage(db, rawRef);
  if (!stored) return { stored: false, note: 'the webhook body was not stored or has expired, so the entry cannot be replayed' };
  if (stored.body === null)
    return {
      stored: false,
      size: stored.size,
      note: `the webhook body (${stored.size} bytes) was too large to keep, so the entry cannot be replayed`,
    };
  return { stored: true, size: stored.size };
}

export async function unroutedDetail(db: Firestore, doc: DocumentSnapshot): Promise<Record<string, unknown>> {
  const d = doc.data() ?? {};
  return {
    ...unroutedSummary(doc),
    logged_at: iso(d.logged_at),
    expire_at: iso(d.expire_at),
    raw: {
      payload: d.raw_truncated ? (d.raw_json ?? null) : parseJson(d.raw_json),
      truncated: d.raw_truncated === true,
    },
    raw_ref: d.raw_ref ?? null,
    webhook_body: await bodyView(db, d.raw_ref),
  };
}
