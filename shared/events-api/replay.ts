/**
 * Replaying one log entry. When the webhook body that carried it is stored,
 * the body runs through the current normalizer (so a fixed mapping repairs
 * old events, and a once-rejected item can now become an event); otherwise
 * the stored envelope is published again. Either way each replayed event
 * gets a new id, `metadata.source = 'replay'` and `metadata.replay_of` = the
 * entry's id, and consumers treat it as a new event (Workflows may run again).
 * The original entry lists its replays in `replays`; the new entries carry
 * `replay_of` (the log writer copies it from the envelope).
 *
 * A replay id is hashId(replay key, id the normalizer gave): the same replay
 * request (idempotency key, or bulk job) run twice publishes the same ids,
 * which consumers dedupe, so resuming an interrupted job is safe.
 */
import { FieldValue, type DocumentSnapshot, type Firestore } from '@google-cloud/firestore';
import type { Envelope } from '../envelope';
import type { EnvelopePublisher } from '../envelope/publish';
import { hashId } from '../envelope/ids';
import type { RejectedItem } from '../rejection';
import { loadRawMessage, rawBody } from '../event-log/raw-store';
import { ApiError } from './http';

/** A webhook-raw message: the body exactly as received and its attributes. */
export interface RawInput {
  data: Buffer;
  attributes: Record<string, string>;
}

export interface NormalizeOutput {
  envelopes: Envelope[];
  rejections: RejectedItem[];
}

/** The normalizer's pure entry point: routes with the Block registry, publishes nothing. */
export type Renormalize = (raw: RawInput) => Promise<NormalizeOutput>;

export interface ReplayDeps {
  db: Firestore;
  publisher: EnvelopePublisher;
  /** Absent: platform events are replayed from their stored envelope. */
  renormalize?: Renormalize;
}

export interface ReplayOutcome {
  replay_of: string;
  mode: 'renormalized' | 'envelope';
  event_ids: string[];
  note?: string;
}

export const notReplayable = (message: string) => new ApiError(409, 'not_replayable', message);

function asReplay(envelope: Envelope, originalId: string, key: string): Envelope {
  return {
    ...envelope,
    id: hashId('evt', ['replay', key, envelope.id]),
    metadata: { ...envelope.metadata, source: 'replay', replay_of: originalId },
  } as Envelope;
}

/** The events the current normalizer makes of this entry's webhook body, for this workspace and this item. */
async function renormalized(deps: ReplayDeps, workspaceId: string, d: Record<string, unknown>): Promise<{ envelopes: Envelope[]; why?: string } | undefined> {
  if (!deps.renormalize || typeof d.raw_ref !== 'string') return undefined;
  const stored = await loadRawMessage(deps.db, d.raw_ref);
  const body = stored && rawBody(stored);
  if (!stored || !body) return undefined;
  const out = await deps.renormalize({ data: body, attributes: stored.attributes });
  const rawId = d.raw_platform_event_id;
  // Other items of the body (other events, other workspaces) are not part of this replay.
  const mine = out.envelopes.filter(
    (e) => e.workspace_id === workspaceId && (d.kind === 'raw' || (typeof rawId === 'string' && e.metadata.raw_platform_event_id === rawId)),
  );
  const rejection = out.rejections.find((r) => typeof rawId === 'string' && r.raw_platform_event_id === rawId);
  return { envelopes: mine, ...(rejection ? { why: `${rejection.reason}: ${rejection.detail}` } : {}) };
}

export async function replayEntry(deps: ReplayDeps, workspaceId: string, doc: DocumentSnapshot, key: string): Promise<ReplayOutcome> {
  const d = doc.data() ?? {};
  let mode: ReplayOutcome['mode'] = 'envelope';
  let note: string | undefined;
  let sources: Envelope[] = [];

  const fresh = await renormalized(deps, workspaceId, d);
  if (fresh && fresh.envelopes.length) {
    mode = 'renormalized';
    sources = fresh.envelopes;
  } else if (typeof d.envelope_json === 'string') {
    sources = [JSON.parse(d.envelope_json) as Envelope];
    if (fresh) note = `the current normalizer yields no event for this item${fresh.why ? ` (${fresh.why})` : ''}; the stored envelope was published again`;
  } else if (fresh) {
    throw notReplayable(`the current normalizer still yields no event for this item${fresh.why ? `: ${fresh.why}` : ''}`);
  } else {
    throw notReplayable(
      d.kind === 'event'
        ? 'neither the envelope nor the webhook body of this event is stored'
        : 'the webhook body of this entry is not stored (or no normalizer is configured), so it cannot be normalized again',
    );
  }

  const replays = sources.map((e) => asReplay(e, doc.id, key));
  for (const envelope of replays) await deps.publisher.publish(envelope);
  // Linked after publishing: a link never points at an event that was not published.
  await doc.ref.set({ replays: FieldValue.arrayUnion(...replays.map((e) => e.id)) }, { merge: true });
  return { replay_of: doc.id, mode, event_ids: replays.map((e) => e.id), ...(note ? { note } : {}) };
}
