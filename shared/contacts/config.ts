import { topicName } from '../contracts/topics';
import { envNumber, type Env } from '../runtime/env';
import { retentionDays } from '../event-log/config';

/**
 * Configuration of the contacts subscriber, from the environment, validated
 * once: a bad value fails the cold start loudly instead of running with a
 * surprising default.
 */
export interface ContactsConfig {
  /** Topic derived envelopes are published to. */
  eventsTopic: string;
  /** Coalescing window for timestamp-only updates (last seen / inbound / outbound), ms. */
  coalesceMs: number;
  /** Days an outbox entry is kept (EVENT_LOG_RETENTION_DAYS): it expires with the log entry of its event. */
  retentionDays: number;
}

export const DEFAULT_COALESCE_SECONDS = 60;

export function contactsConfig(env: Env = process.env): ContactsConfig {
  const seconds = envNumber(env, 'CONTACTS_COALESCE_SECONDS', DEFAULT_COALESCE_SECONDS, { min: 0 });
  return { eventsTopic: topicName('events', env), coalesceMs: seconds * 1000, retentionDays: retentionDays(env) };
}
