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
  /** Raw messages looked at per run at most; the rest wait for the next run (oldest first). */
  maxMessages: number;
  /** Runs that replay one message before it is given up as `unresolved` (it stays listed and alerted). */
  maxAttempts: number;
}

export function reconcileConfig(env: Env = process.env): ReconcileConfig {
  return {
    minAgeSeconds: envNumber(env, 'RECONCILE_MIN_AGE_SECONDS', 600, { integer: true, min: 0 }),
    maxMessages: envNumber(env, 'RECONCILE_MAX_MESSAGES', 1000, { integer: true, min: 1, max: 50_000 }),
    maxAttempts: envNumber(env, 'RECONCILE_MAX_ATTEMPTS', 3, { integer: true, min: 1, max: 100 }),
  };
}
