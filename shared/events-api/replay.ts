/**
 * Replaying one log entry. When the webhook body that carried it is stored,
 * the body runs through the current normalizer (so a fixed mapping repairs
 * old events, and a once-rejected item can now become an event) and exactly
 * the entry's own events are kept (entry-item.ts); otherwise the stored
 * envelope is published again. Either way each replayed event gets a new id
 * and `metadata.source = 'replay'`, and consumers treat it as a new event
 * (Workflows may run again).
 *
 * A replay names what it replays: `replay_of_entry` is the entry's id (an
 * event, a rejected item `rej_` or a failed body `raw_`), `replay_of` the
 * same id when the entry is an event (the schema keeps event ids there), and
 * `replay_origin` where the replayed event first came from, which the log
 * writer needs before it ties the replay to a webhook body by its request_id.
 * The original entry lists its replays in `replays`; the log writer copies
 * the link into the new entry's `replay_of`.
 *
 * A replay id is hashId(replay key, id the normalizer gave): the same replay
 * request (idempotency key, or bulk job) run twice publishes the same ids,
 * which consumers dedupe, so resuming an interrupted job is safe.
 */
import { FieldValue, type DocumentSnapshot, type Firestore } from '@google-cloud/firestore';
import { originOf, validateEnvelope, type Envelope } from '../envelope';
import type { EnvelopePublisher } from '../envelope/publish';
import { hashId } from '../envelope/ids';
import type { RejectedItem } from '../contracts/rejection';
import { entryEnvelope } from '../event-log/entry';
import { loadRawMessage, rawBody } from '../event-log/raw-store';
import { entryItem, ofItem, type EntryItem } from './entry-item';
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

function asReplay(envelope: Envelope, entry: { id: string; kind: unknown }, key: string): Envelope {
  // A replay of a replay names the entry replayed now, not the one its source named.
  const { replay_of: _previous, replay_origin: _origin, replay_of_entry: _entry, ...metadata } = envelope.metadata;
  const origin = originOf(envelope.metadata);
  return {
    ...envelope,
    id: hashId('evt', ['replay', key, envelope.id]),
    metadata: {
      ...metadata,
      source: 'replay',
      replay_of_entry: entry.id,
      ...(entry.kind === 'event' ? { replay_of: entry.id } : {}),
      ...(origin ? { replay_origin: origin } : {}),
    },
  } as Envelope;
}

/**
 * The replays, each checked against the current schema before any is
 * published: an entry is replayed whole or not at all, and one that cannot
 * be (a stored envelope the schema has since outgrown) is refused with why.
 */
function publishable(replays: Envelope[], entryId: string): Envelope[] {
  for (const replay of replays) {
    const result = validateEnvelope(replay);
    if (!result.ok) {
      const why = result.violations.map((v) => `${v.path} ${v.message}`).join('; ');
      throw new ApiError(
        409,
        'not_publishable',
        `the replay of ${entryId} does not match the current ${replay.type} schema: ${why}`,
        result.violations,
      );
    }
  }
  return replays;
}

/** The events the current normalizer makes of this entry's webhook body, for this workspace and this entry's item. */
async function renormalized(
  deps: ReplayDeps,
  workspaceId: string,
  item: EntryItem | undefined,
  d: Record<string, unknown>,
): Promise<{ envelopes: Envelope[]; why?: string } | undefined> {
  if (!deps.renormalize || !item || typeof d.raw_ref !== 'string') return undefined;
  const stored = await loadRawMessage(deps.db, d.raw_ref);
  const body = stored && rawBody(stored);
  if (!stored || !body) return undefined;
  const out = await deps.renormalize({ data: body, attributes: stored.attributes });
  // Other workspaces' events of a batched body are not part of this replay, nor other items and events of the body.
  const mine = ofItem(item, { envelopes: out.envelopes.filter((e) => e.workspace_id === workspaceId), rejections: out.rejections });
  const rejection = mine.rejections[0];
  const why = rejection ? `${rejection.reason}: ${rejection.detail}` : mine.ambiguity;
  return { envelopes: mine.envelopes, ...(why ? { why } : {}) };
}

export async function replayEntry(deps: ReplayDeps, workspaceId: string, doc: DocumentSnapshot, key: string): Promise<ReplayOutcome> {
  const d = doc.data() ?? {};
  const stored = entryEnvelope(d);
  let mode: ReplayOutcome['mode'] = 'envelope';
  let note: string | undefined;
  let sources: Envelope[];

  const fresh = await renormalized(deps, workspaceId, entryItem(doc.id, d, stored), d);
  if (fresh && fresh.envelopes.length) {
    mode = 'renormalized';
    sources = fresh.envelopes;
  } else if (stored) {
    sources = [stored];
    if (fresh)
      note = `the current normalizer yields no event for this item${fresh.why ? ` (${fresh.why})` : ''}; the stored envelope was published again`;
  } else if (fresh) {
    throw notReplayable(`the current normalizer still yields no event for this item${fresh.why ? `: ${fresh.why}` : ''}`);
  } else {
    throw notReplayable(
      d.kind === 'event'
        ? 'neither the envelope nor the webhook body of this event is stored'
        : 'the webhook body of this entry is not stored (or no normalizer is configured), so it cannot be normalized again',
    );
  }

  const replays = publishable(
    sources.map((e) => asReplay(e, { id: doc.id, kind: d.kind }, key)),
    doc.id,
  );
  for (const envelope of replays) await deps.publisher.publish(envelope);
  // Linked after publishing: a link never points at an event that was not published.
  await doc.ref.set({ replays: FieldValue.arrayUnion(...replays.map((e) => e.id)), replayed: true }, { merge: true });
  return { replay_of: doc.id, mode, event_ids: replays.map((e) => e.id), ...(note ? { note } : {}) };
}
