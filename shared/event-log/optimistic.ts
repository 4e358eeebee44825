/**
 * Read-modify-write of one document without a transaction (optimistic
 * concurrency): read it, decide what to write, and write only if the document
 * is still the version that was read — `update()` with a `lastUpdateTime`
 * precondition, or `create()` when it did not exist. When another writer got
 * there first, read again and decide again.
 *
 * Why not `runTransaction`: the log writer and every consumer's outcome report
 * hit the same entry within milliseconds of each other. Server SDK
 * transactions lock what they read until they commit (the emulator too), so
 * two of them that both read the entry then wait for each other's lock on
 * commit until one times out and retries: seconds per event, measured. Here no
 * lock is held across round-trips: a lost race costs one more read and write.
 */
import type { DocumentReference, DocumentSnapshot } from '@google-cloud/firestore';

/** What `decide` may read of the document: whether it exists, and its fields. */
export type SnapshotView = Pick<DocumentSnapshot, 'exists' | 'get'>;

/** A document that does not exist, for deciding before reading (`createFirst`). */
const MISSING: SnapshotView = { exists: false, get: () => undefined };

export interface ReadModifyWriteOptions {
  /**
   * Decide as if the document did not exist and `create()` it, reading only
   * when that fails because it exists: one round trip instead of two when the
   * caller is usually first (the log writer: the consumers report after their work).
   */
  createFirst?: boolean;
}

/** What to do with the snapshot read: write `data` (top-level fields; a field given replaces that field), or nothing. */
export interface Decision<T> {
  data?: Record<string, unknown>;
  result: T;
}

// gRPC codes of a lost race: the document changed (FAILED_PRECONDITION), someone
// created it first (ALREADY_EXISTS), it was deleted in between, e.g. by TTL (NOT_FOUND).
const LOST_RACE = new Set([9, 6, 5]);
const MAX_ATTEMPTS = 20;

export class ContentionError extends Error {
  override readonly name = 'ContentionError';
}

function lostRace(err: unknown): boolean {
  return LOST_RACE.has((err as { code?: unknown } | null)?.code as number);
}

/**
 * Runs `decide` on the current document and applies its write if nothing
 * changed in between, retrying with a small jittered backoff (racers that
 * retried in lockstep would collide again). `decide` may run several times,
 * so it must only compute.
 */
export async function readModifyWrite<T>(
  ref: DocumentReference,
  decide: (snapshot: SnapshotView) => Decision<T>,
  options: ReadModifyWriteOptions = {},
): Promise<T> {
  if (options.createFirst) {
    const { data, result } = decide(MISSING);
    if (!data) return result;
    try {
      await ref.create(data);
      return result;
    } catch (err) {
      // It exists (or was deleted in between): decide again on what is there, as below.
      if (!lostRace(err)) throw err;
    }
  }
  for (let attempt = 1; ; attempt++) {
    const snapshot = await ref.get();
    const { data, result } = decide(snapshot);
    if (!data) return result;
    try {
      if (snapshot.exists) await ref.update(data, { lastUpdateTime: snapshot.updateTime! });
      else await ref.create(data);
      return result;
    } catch (err) {
      if (!lostRace(err)) throw err;
      if (attempt >= MAX_ATTEMPTS) throw new ContentionError(`${ref.path} kept changing under ${MAX_ATTEMPTS} attempts to write it`);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 5 * 2 ** attempt)));
    }
  }
}
