/**
 * Replay's link to the normalizer: a stored `webhook-raw` message (body and
 * attributes) through the current normalize() with a Router, publishing
 * nothing. Production routes with the Block registry (firestoreRouter).
 */
import type { Firestore } from '@google-cloud/firestore';
import { firestoreRouter } from '../normalize/firestore-router';
import { normalize } from '../normalize/normalize';
import type { Router } from '../normalize/router';
import { parseRawAttributes } from '../contracts/raw-message';
import type { Renormalize } from './replay';

export function renormalizeWith(router: () => Router): Renormalize {
  return async ({ data, attributes }) => {
    const attrs = parseRawAttributes(attributes);
    if (!attrs) return { envelopes: [], rejections: [] };
    return normalize(
      {
        platform: attrs.platform,
        kind: attrs.kind,
        body: data,
        receivedAt: attrs.received_at,
        requestId: attrs.request_id,
        blockId: attrs.block_id,
        workspaceId: attrs.workspace_id,
      },
      router(),
    );
  };
}

/**
 * For replays of unrouted entries: the Block registry read afresh on every
 * replay. Operators replay right after connecting the Block, and a registry
 * kept across requests would still hold its cached "no Block" answer for up
 * to BLOCK_CACHE_TTL_MS, refusing the replay the Block was connected for.
 */
export function renormalizeFresh(db?: () => Firestore): Renormalize {
  return renormalizeWith(() => firestoreRouter(db?.()));
}
