/**
 * The pending raw messages of every lane (store.ts: one per shard, and the
 * bodies stored before sharding) as one stream, oldest first by
 * (received_at, id): what a run reads, as one query used to give it.
 *
 * Each lane is read a page at a time, after the last document it returned, so
 * a body a run left pending (replayed, deferred) is not read twice in that run.
 * A lane is read only when it could hold the next oldest body: its last
 * document read is a lower bound for the rest of it. That keeps the unsharded
 * lane, whose pages are mostly sharded bodies it skips, reading no further
 * than the run has got. While that lane exists, a backlog is read twice:
 * through its shard and through the old index.
 */
import type { Firestore, QueryDocumentSnapshot, QuerySnapshot, Timestamp } from '@google-cloud/firestore';
import { MAX_RAW_BODY_BYTES, RECONCILE_FIELD, RECONCILE_PENDING } from '../event-log/raw-store';
import { inLane, PENDING_LANES, pendingQuery, type PendingLane } from './store';

/**
 * A lane's page: about its share of what the run works on at once (hashed
 * shards share the oldest bodies about evenly), so the first pages, read at
 * once, mostly hold the first waves; what is left unused when a run stops was
 * read for nothing, at most about one and a half pages per lane (a lane reads
 * its next page when half of its last is taken).
 */
export function lanePage(atOnce: number, lanes: number): number {
  return Math.min(100, Math.max(2, Math.ceil(atOnce / Math.max(1, lanes - 1)) + 1));
}

/**
 * The unsharded lane's page: its query returns every pending body, sharded
 * ones too, with four small fields each (store.ts), so one large page costs one
 * round trip where the shards' page size would cost dozens in a row. Of
 * those, at most a wave's worth (half of `atOnce`) is read whole per page.
 */
const UNSHARDED_PAGE = 1000;

/**
 * What the lanes may hold and reserve, in waves' bytes: enough for the 32
 * shard lanes to read ahead several pages at once at typical body sizes.
 */
export const AHEAD_WAVES = 8;

/**
 * What a body read holds, as the run's byte budgets count it: its stored size
 * (`size`, the body's bytes as received), nothing when it was too large to
 * keep. A snapshot of the unsharded lane's two-field query counts as if whole.
 */
export function bodyBytes(doc: QueryDocumentSnapshot): number {
  if (doc.get('truncated') === true) return 0;
  return Math.min(MAX_RAW_BODY_BYTES, Number(doc.get('size')) || 0);
}

/** The unsharded lane's bodies read whole (its query returned a few fields), those still pending. */
async function whole(db: Firestore, docs: QueryDocumentSnapshot[]): Promise<QueryDocumentSnapshot[]> {
  if (!docs.length) return [];
  const snaps = await db.getAll(...docs.map((d) => d.ref));
  // An existing document read by id is what the query would have returned with every field.
  return snaps.filter((s) => s.exists && s.get(RECONCILE_FIELD) === RECONCILE_PENDING) as QueryDocumentSnapshot[];
}

/** gRPC FAILED_PRECONDITION: what Firestore answers a query whose composite index is not built (or not declared). */
const FAILED_PRECONDITION = 9;
const indexNotReady = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === FAILED_PRECONDITION;

interface LaneState {
  lane: PendingLane;
  buffered: QueryDocumentSnapshot[];
  /** The last document the lane returned: everything not read yet comes after it. */
  after?: QueryDocumentSnapshot;
  done: boolean;
  /** The lane's read under way, if any: one at a time, so each page starts after the last. */
  reading?: Promise<void>;
}

function compare(a: QueryDocumentSnapshot, b: QueryDocumentSnapshot): number {
  const ta = a.get('received_at') as Timestamp;
  const tb = b.get('received_at') as Timestamp;
  return ta.seconds - tb.seconds || ta.nanoseconds - tb.nanoseconds || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export interface PendingStream {
  /**
   * Up to `n` more bodies, oldest first, holding at most `maxBytes` (bodyBytes)
   * but at least one; fewer only when none are left or the next would pass `maxBytes`.
   */
  next(n: number, maxBytes?: number): Promise<QueryDocumentSnapshot[]>;
  /** Whether a body is left that `next` has not returned. */
  more(): Promise<boolean>;
  /** The lanes whose index is not built yet (their query failed with FAILED_PRECONDITION): left for a later run. */
  readonly skipped: readonly PendingLane[];
  /** How many of the bodies returned came from the unsharded lane. */
  readonly unsharded: number;
}

/**
 * The stream of a run that works on at most `atOnce` bodies at a time (its
 * concurrency, or its whole budget when smaller), which sizes the pages, and
 * whose waves hold at most `waveBytes`. What it holds is bounded in bytes, not
 * only in bodies, since a body may be up to MAX_RAW_BODY_BYTES (900 KB): a
 * read reserves a page of such bodies (a shard lane's page × 900 KB, the
 * unsharded lane's whole read a wave's bytes) and starts in full only while
 * what the lanes hold and have reserved stays within AHEAD_WAVES waves; past it a lane
 * reads ahead no more, and one that is empty and needed for the merge reads
 * what room is left, a single body at least (progress first). At the defaults (RECONCILE_WAVE_BYTES 8 MiB)
 * the lanes hold at most 8 × 8 MiB + 33 × 900 KB ≈ 97 MB, and the run's two
 * waves 2 × 8 MiB ≈ 17 MB (a wave holds one body at least): about 114 MB of
 * bodies whatever their sizes, besides what normalizing two waves yields (a
 * Meta batch makes up to about 9 times its bytes in envelopes: about 150 MB).
 * At typical bodies of a few KB the count bound binds first (32 × 21 + 200
 * buffered and 400 worked on: a few MB).
 */
export function pendingStream(
  db: Firestore,
  cutoff: Date,
  atOnce: number,
  waveBytes: number,
  lanes: readonly PendingLane[] = PENDING_LANES,
): PendingStream {
  const states: LaneState[] = lanes.map((lane) => ({ lane, buffered: [], done: false }));
  const page = lanePage(atOnce, lanes.length);
  const wholeAtMost = Math.max(1, Math.ceil(atOnce / 2));
  const aheadBytes = AHEAD_WAVES * waveBytes;
  /** Bytes of the bodies the lanes hold, and reserved by the reads under way. */
  let held = 0;
  let reserved = 0;
  let unsharded = 0;
  const skipped: PendingLane[] = [];

  /** A read's size: in bodies for a shard lane, in bytes of bodies read whole for the unsharded lane. */
  const fullRead = (state: LaneState) => (state.lane === 'unsharded' ? waveBytes : page);
  const reserve = (state: LaneState, size: number) =>
    state.lane === 'unsharded' ? Math.max(size, MAX_RAW_BODY_BYTES) : size * MAX_RAW_BODY_BYTES;
  const roomFor = (state: LaneState) => held + reserved + reserve(state, fullRead(state)) <= aheadBytes;

  async function readPage(state: LaneState, size: number): Promise<void> {
    const limit = state.lane === 'unsharded' ? UNSHARDED_PAGE : size;
    let snap: QuerySnapshot;
    try {
      snap = await pendingQuery(db, state.lane, cutoff, state.after).limit(limit).get();
    } catch (err) {
      if (!indexNotReady(err)) throw err;
      // Its index is still building (the code deployed ahead of it): its bodies stay pending for a later run.
      state.done = true;
      skipped.push(state.lane);
      return;
    }
    let seen = snap.docs;
    let mine = seen.filter((doc) => inLane(state.lane, doc));
    if (state.lane === 'unsharded') {
      // At most a wave, and `size` bytes (one body at least), read whole: the page ends at the last one kept, and the next starts after it.
      let bytes = 0;
      let keep = 0;
      while (keep < Math.min(mine.length, wholeAtMost) && (keep === 0 || bytes + bodyBytes(mine[keep]!) <= size))
        bytes += bodyBytes(mine[keep++]!);
      if (keep < mine.length) {
        mine = mine.slice(0, keep);
        seen = seen.slice(0, seen.indexOf(mine[mine.length - 1]!) + 1);
      }
    }
    const docs = state.lane === 'unsharded' ? await whole(db, mine) : mine;
    // All at once, after every await: a lane is never seen done with its last page not buffered yet.
    state.after = seen[seen.length - 1] ?? state.after;
    state.done = seen.length === snap.docs.length && snap.docs.length < limit;
    state.buffered.push(...docs);
    for (const doc of docs) held += bodyBytes(doc);
  }

  /** Reads a lane's next page: as much of it as the budget has room for, else (`needed` only) a single body. */
  function read(state: LaneState): Promise<void> {
    if (state.reading) return state.reading;
    // A shard lane takes the page, or what the budget has room for (one body at least); the unsharded lane a wave's bytes, or one body.
    const room = Math.floor((aheadBytes - held - reserved) / MAX_RAW_BODY_BYTES);
    const size = state.lane === 'unsharded' ? (roomFor(state) ? waveBytes : 0) : Math.max(1, Math.min(page, room));
    const claim = reserve(state, size);
    reserved += claim;
    state.reading = readPage(state, size).finally(() => {
      reserved -= claim;
      state.reading = undefined;
    });
    return state.reading;
  }

  /**
   * Reads a lane's next page before its buffer runs out, so the run rarely
   * waits for one, while the budget has room for it (a failed one is read
   * again when the lane is needed, and fails the run then as a read always did).
   */
  function readAhead(state: LaneState): void {
    if (state.done || state.reading || state.buffered.length > page / 2 || !roomFor(state)) return;
    read(state).catch(() => undefined);
  }

  /** The lane holding the oldest body left, reading the lanes that may hold an older one first. */
  async function oldest(): Promise<LaneState | undefined> {
    for (;;) {
      let best: LaneState | undefined;
      for (const s of states) if (s.buffered.length && (!best || compare(s.buffered[0]!, best.buffered[0]!) < 0)) best = s;
      const unread = states.filter((s) => !s.done && !s.buffered.length && (!best || !s.after || compare(s.after, best.buffered[0]!) < 0));
      if (!unread.length) return best;
      await Promise.all(unread.map(read));
    }
  }

  return {
    async next(n, maxBytes = Infinity) {
      const out: QueryDocumentSnapshot[] = [];
      let bytes = 0;
      while (out.length < n) {
        const state = await oldest();
        if (!state) break;
        const size = bodyBytes(state.buffered[0]!);
        if (out.length && bytes + size > maxBytes) break;
        out.push(state.buffered.shift()!);
        bytes += size;
        held -= size;
        if (state.lane === 'unsharded') unsharded++;
        else readAhead(state);
      }
      return out;
    },
    async more() {
      return (await oldest()) !== undefined;
    },
    get unsharded() {
      return unsharded;
    },
    skipped,
  };
}
