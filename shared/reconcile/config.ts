/**
 * Reconciliation settings, read once and validated (a malformed value stops
 * the function at start-up, naming the variable).
 */
import { envNumber, type Env } from '../runtime/env';

export interface ReconcileConfig {
  /**
   * A raw message is looked at once it is this old: by then its normalizing
   * (Pub/Sub's first attempts) is long over, and one that is still retrying is
   * harmless to replay (deterministic ids).
   */
  minAgeSeconds: number;
  /** Raw messages looked at per run at most, a safety bound above what maxSeconds allows; the rest wait for the next run (oldest first). */
  maxMessages: number;
  /**
   * Seconds after which a run takes no more messages (those under way
   * finish): a run must answer inside the events-api's timeout and the
   * scheduler's attempt deadline (540 s), or the scheduler's retry would start
   * a second run over the same bodies. Hence at most 500: 40 s for the waves
   * under way and the summary.
   */
  maxSeconds: number;
  /** Runs that replay one message before it is given up as `unresolved` (it stays listed and alerted). */
  maxAttempts: number;
  /**
   * Raw messages a run works on at once (two waves of half as many: one is
   * normalized and read while the other is written). Each wave is one read of
   * every expected entry and one BulkWriter of settlements, so a wave's round
   * trips, not its size, set the pace.
   */
  concurrency: number;
  /**
   * Bytes of bodies a wave holds at most (one body at least, so a body of any
   * size is reconciled): with bodies up to 900 KB, the count alone would let a
   * backlog of large bodies hold over a GB (pending.ts has the bound).
   */
  waveBytes: number;
}

/** 8 MiB: what normalizing two waves yields stays well inside the events-api's 512 MiB (pending.ts). */
export const DEFAULT_RECONCILE_WAVE_BYTES = 8 * 1024 * 1024;

/**
 * The most a run may be asked to look at (RECONCILE_MAX_MESSAGES, or a
 * request's max_messages). The count is a safety bound, not the throughput
 * control: RECONCILE_MAX_SECONDS is. The default, 2,500,000, is above what a
 * run of 420 s gets through at the rate estimated for production (about 5,000
 * a second: 2,100,000), so time binds (docs/capacity.md#the-first-bottleneck).
 */
export const MAX_RECONCILE_MESSAGES = 10_000_000;
export const DEFAULT_RECONCILE_MESSAGES = 2_500_000;
/** Inside the events-api's timeout and the scheduler's attempt deadline (540 s), with room for the waves under way. */
export const MAX_RECONCILE_SECONDS = 500;

export function reconcileConfig(env: Env = process.env): ReconcileConfig {
  return {
    minAgeSeconds: envNumber(env, 'RECONCILE_MIN_AGE_SECONDS', 600, { integer: true, min: 0 }),
    maxMessages: envNumber(env, 'RECONCILE_MAX_MESSAGES', DEFAULT_RECONCILE_MESSAGES, {
      integer: true,
      min: 1,
      max: MAX_RECONCILE_MESSAGES,
    }),
    maxSeconds: envNumber(env, 'RECONCILE_MAX_SECONDS', 420, { integer: true, min: 1, max: MAX_RECONCILE_SECONDS }),
    maxAttempts: envNumber(env, 'RECONCILE_MAX_ATTEMPTS', 3, { integer: true, min: 1, max: 100 }),
    concurrency: envNumber(env, 'RECONCILE_CONCURRENCY', 400, { integer: true, min: 1, max: 2000 }),
    waveBytes: envNumber(env, 'RECONCILE_WAVE_BYTES', DEFAULT_RECONCILE_WAVE_BYTES, { integer: true, min: 1, max: 64 * 1024 * 1024 }),
  };
}
