/**
 * Event log settings, read once from the environment and validated: a bad
 * value stops the function at start-up instead of silently keeping events
 * forever (or for zero days).
 */
export const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export class EventLogConfigError extends Error {
  override readonly name = 'EventLogConfigError';
}

/** EVENT_LOG_RETENTION_DAYS (a positive integer), else 30. */
export function retentionDays(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.EVENT_LOG_RETENTION_DAYS;
  if (value === undefined || value === '') return DEFAULT_RETENTION_DAYS;
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1) {
    throw new EventLogConfigError(`EVENT_LOG_RETENTION_DAYS must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return days;
}

/** When a record about something that happened at `from` may be deleted by the Firestore TTL policy. */
export function expiryAfter(from: Date, days: number): Date {
  return new Date(from.getTime() + days * DAY_MS);
}
