/**
 * What "reached the log" means for one acknowledged webhook body: every log
 * entry the current normalizer makes of it exists, written by the log writer
 * (a document without `kind` is only a consumer's early report), and no event
 * of it is still `processing` (no consumer ever reported: a lost delivery):
 *
 *   envelope                   workspaces/{ws}/event_log/{event id}
 *   rejected item, workspace   workspaces/{ws}/event_log/{rejection id}
 *   rejected item, none known  unrouted_events/{rejection id} (unroutable,
 *                              unparseable, a Meta handshake naming no Block)
 *
 * or the body's own dead-letter entry exists (the normalizer failed on it
 * after every retry: entry kind `raw`, status failed, in the workspace log
 * when the edge named it, else unrouted_events). That is a final state too.
 *
 * Ids are deterministic (hashes of the platform event, or of the rejected
 * item and its place), so the ids computed now are those the normalizer gave
 * when it ran, unless the Block registry changed meanwhile; what the current
 * normalizer makes of the body is then what counts, and nothing already
 * applied is applied twice (consumers dedupe by id).
 */
import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import type { Envelope } from '../envelope';
import type { RejectedItem } from '../contracts/rejection';
import { rawMessageId, type StoredRawMessage } from '../event-log/raw-store';
import { entryRef } from '../event-log/writer';

export interface NormalizeOutput {
  envelopes: Envelope[];
  rejections: RejectedItem[];
}

export interface Missing {
  /** Every entry the body should have (envelopes + rejections). */
  expected: number;
  envelopes: Envelope[];
  rejections: RejectedItem[];
  /** The normalizer gave up on the body and the log recorded that (entry kind `raw`). */
  deadLettered: boolean;
}

/** getAll takes many refs per call; kept modest so one huge batch body does not make one huge request. */
const READ_CHUNK = 300;

/**
 * Whether each entry is written by the log writer and, for an event, heard of
 * by its consumers: an event still `processing` this long after its webhook
 * lost a consumer's delivery (no consumer reported at all), and publishing it
 * again is how that consumer gets it. `retrying` is left alone: Pub/Sub is on it.
 */
async function written(db: Firestore, refs: DocumentReference[]): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < refs.length; i += READ_CHUNK) {
    const snaps = await db.getAll(...refs.slice(i, i + READ_CHUNK), { fieldMask: ['kind', 'status'] });
    for (const snap of snaps) out.push(snap.exists && snap.get('kind') !== undefined && snap.get('status') !== 'processing');
  }
  return out;
}

/** The entries of `out` (what the normalizer makes of `raw`) that the log does not have. */
export async function missingEntries(db: Firestore, raw: StoredRawMessage, out: NormalizeOutput): Promise<Missing> {
  const deadLetter = entryRef(db, {
    workspace_id: raw.attributes.workspace_id ?? null,
    event_id: rawMessageId(raw.platform, raw.request_id),
  });
  const refs = [
    deadLetter,
    ...out.envelopes.map((e) => entryRef(db, { workspace_id: e.workspace_id, event_id: e.id })),
    ...out.rejections.map((r) => entryRef(db, { workspace_id: r.workspace_id ?? null, event_id: r.id })),
  ];
  const [deadLettered = false, ...present] = await written(db, refs);
  const expected = out.envelopes.length + out.rejections.length;
  if (deadLettered) return { expected, envelopes: [], rejections: [], deadLettered };
  return {
    expected,
    envelopes: out.envelopes.filter((_, i) => !present[i]),
    rejections: out.rejections.filter((_, i) => !present[out.envelopes.length + i]),
    deadLettered,
  };
}
