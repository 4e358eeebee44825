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
 * Each document is read once (two bodies can carry the same platform event),
 * the chunks at once.
 */
async function written(db: Firestore, refs: DocumentReference[]): Promise<boolean[]> {
  const unique = [...new Map(refs.map((ref) => [ref.path, ref])).values()];
  const chunks: DocumentReference[][] = [];
  for (let i = 0; i < unique.length; i += READ_CHUNK) chunks.push(unique.slice(i, i + READ_CHUNK));
  const snaps = (await Promise.all(chunks.map((chunk) => db.getAll(...chunk, { fieldMask: ['kind', 'status'] })))).flat();
  const done = new Map(
    snaps.map((snap) => [snap.ref.path, snap.exists && snap.get('kind') !== undefined && snap.get('status') !== 'processing']),
  );
  return refs.map((ref) => done.get(ref.path) === true);
}

/** One body and what the current normalizer makes of it. */
export interface Normalized {
  raw: StoredRawMessage;
  out: NormalizeOutput;
}

/**
 * The entries each body's normalizer output lacks in the log, for many bodies
 * with one read of all their entries (a failed read fails them all: each is
 * then tried again next run).
 */
export async function missingEntriesOf(db: Firestore, bodies: readonly Normalized[]): Promise<Missing[]> {
  const refsOf = bodies.map(({ raw, out }) => [
    entryRef(db, { workspace_id: raw.attributes.workspace_id ?? null, event_id: rawMessageId(raw.platform, raw.request_id) }),
    ...out.envelopes.map((e) => entryRef(db, { workspace_id: e.workspace_id, event_id: e.id })),
    ...out.rejections.map((r) => entryRef(db, { workspace_id: r.workspace_id ?? null, event_id: r.id })),
  ]);
  const present = await written(db, refsOf.flat());
  let at = 0;
  return bodies.map(({ out }, i) => {
    const [deadLettered = false, ...found] = present.slice(at, (at += refsOf[i]!.length));
    const expected = out.envelopes.length + out.rejections.length;
    if (deadLettered) return { expected, envelopes: [], rejections: [], deadLettered };
    return {
      expected,
      envelopes: out.envelopes.filter((_, j) => !found[j]),
      rejections: out.rejections.filter((_, j) => !found[out.envelopes.length + j]),
      deadLettered,
    };
  });
}
