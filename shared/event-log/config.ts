import { envNumber, type Env } from '../runtime/env';
/**
 * Event log settings, read once from the environment and validated: a bad
 * value stops the function at start-up instead of silently keeping events
 * forever (or for zero days).
 */
export const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** EVENT_LOG_RETENTION_DAYS (a positive integer), else 30. */
export function retentionDays(env: Env = process.env): number {
  return envNumber(env, 'EVENT_LOG_RETENTION_DAYS', DEFAULT_RETENTION_DAYS, { integer: true, min: 1 });
}

/** When a record about something that happened at `from` may be deleted by the Firestore TTL policy. */
export function expiryAfter(from: Date, days: number): Date {
  return new Date(from.getTime() + days * DAY_MS);
}
