/**
 * Recovering an `unrouted_events` entry once its Block exists: the stored
 * webhook body runs through the current normalizer again, routed by the
 * Block registry, and the envelopes of this entry's item are published to
 * `events` exactly as the normalizer makes them: the same ids (platform,
 * Block, type, platform id) and `source: webhook`, as if the Block had been
 * connected when the webhook arrived. So a second replay, or a late platform
 * redelivery, publishes the same ids and consumers dedupe them; the events
 * land in the workspace's log like any other. (No `replay_of`: it names an
 * event of the workspace log, and an unrouted entry is none.)
 *
 * Only this entry's item is published (envelopes whose `metadata.raw_path`
 * is the rejection's path): a Meta body may batch items that were routed at
 * the time, and those were published then.
 *
 * The entry records its replays (`replays`, `routed_to`, `replayed_at`) and
 * is otherwise never changed; a refused replay changes nothing at all.
 */
import { FieldValue, Timestamp, type DocumentSnapshot, type Firestore } from '@google-cloud/firestore';
import type { Envelope } from '../envelope';
import type { EnvelopePublisher } from '../envelope/publish';
import { loadRawMessage, rawBody } from '../event-log/raw-store';
import { RoutingUnavailableError } from '../normalize/router';
import type { RejectedItem } from '../contracts/rejection';
import { itemPath, ofItem } from './entry-item';
import { ApiError } from './http';
import type { Renormalize } from './replay';

/** Why an entry cannot be replayed (the 409's error code). */
export const REFUSALS = {
  still_unroutable: 'the item still names no connected Block',
  still_rejected: 'the current normalizer rejects the item for another reason',
  no_event: 'the current normalizer makes no event of the item',
  body_not_stored: 'the webhook body that carried the item is not stored (expired, too large, or never received)',
  not_a_webhook_item: 'the entry is not a webhook item, so there is nothing to normalize',
} as const;
export type Refusal = keyof typeof REFUSALS;

export interface RoutedTo {
  workspace_id: string;
  block_id: string | null;
}

export type UnroutedReplay =
  | {
      ok: true;
      replayed: string;
      event_ids: string[];
      routed_to: RoutedTo[];
      /** Items of a whole-body entry that are still rejected (a batch item's entry has none). */
      still_rejected: Array<Pick<RejectedItem, 'reason' | 'detail' | 'path'>>;
    }
  | { ok: false; refusal: Refusal; message: string; rejection?: Pick<RejectedItem, 'reason' | 'detail' | 'path'> };

export interface UnroutedReplayDeps {
  db: Firestore;
  publisher: EnvelopePublisher;
  renormalize: Renormalize;
  now: Date;
}

const refuse = (refusal: Refusal, message: string = REFUSALS[refusal], rejection?: RejectedItem): UnroutedReplay => ({
  ok: false,
  refusal,
  message,
  ...(rejection ? { rejection: { reason: rejection.reason, detail: rejection.detail, path: rejection.path } } : {}),
});

const distinctRoutes = (envelopes: Envelope[]): RoutedTo[] => {
  const seen = new Map<string, RoutedTo>();
  for (const e of envelopes) seen.set(`${e.workspace_id}\u0000${e.block_id ?? ''}`, { workspace_id: e.workspace_id, block_id: e.block_id });
  return [...seen.values()];
};

export async function replayUnrouted(deps: UnroutedReplayDeps, doc: DocumentSnapshot): Promise<UnroutedReplay> {
  const d = doc.data() ?? {};
  const path = itemPath(d);
  if (path === undefined) return refuse('not_a_webhook_item');
  const stored = typeof d.raw_ref === 'string' ? await loadRawMessage(deps.db, d.raw_ref) : undefined;
  const body = stored && rawBody(stored);
  if (!stored || !body) return refuse('body_not_stored');

  let out: Awaited<ReturnType<Renormalize>>;
  try {
    out = await deps.renormalize({ data: body, attributes: stored.attributes });
  } catch (err) {
    // The registry could not be read: nothing is known about the route yet, so retrying is the answer, not a 409.
    if (err instanceof RoutingUnavailableError) throw new ApiError(503, 'routing_unavailable', `${err.message}; it is safe to retry`);
    throw err;
  }
  const { envelopes, rejections } = ofItem({ kind: 'item', path }, out);
  if (envelopes.length === 0) {
    const first = rejections[0];
    if (!first) return refuse('no_event');
    return refuse(first.reason === 'unroutable' ? 'still_unroutable' : 'still_rejected', `${first.reason}: ${first.detail}`, first);
  }

  await Promise.all(envelopes.map((e) => deps.publisher.publish(e)));
  const ids = envelopes.map((e) => e.id);
  const routes = distinctRoutes(envelopes);
  // Recorded after publishing, so it never names an event that was not published. arrayUnion keeps a
  // second replay (same ids) from adding anything; update, not set, never recreates an entry the TTL removed.
  await doc.ref.update({
    replays: FieldValue.arrayUnion(...ids),
    replayed: true,
    routed_to: FieldValue.arrayUnion(...routes),
    replayed_at: Timestamp.fromDate(deps.now),
  });
  return {
    ok: true,
    replayed: doc.id,
    event_ids: ids,
    routed_to: routes,
    still_rejected: rejections.map((r) => ({ reason: r.reason, detail: r.detail, path: r.path })),
  };
}
