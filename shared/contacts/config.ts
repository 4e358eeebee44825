import { topicName } from '../topics';

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
}

export const DEFAULT_COALESCE_SECONDS = 60;

export class ContactsConfigError extends Error {
  override readonly name = 'ContactsConfigError';
}

export function contactsConfig(env: NodeJS.ProcessEnv = process.env): ContactsConfig {
  const raw = env.CONTACTS_COALESCE_SECONDS;
  const seconds = raw === undefined || raw === '' ? DEFAULT_COALESCE_SECONDS : Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new ContactsConfigError(`CONTACTS_COALESCE_SECONDS must be a number of seconds >= 0, got ${JSON.stringify(raw)}`);
  }
  return { eventsTopic: topicName('events', env), coalesceMs: seconds * 1000 };
}
