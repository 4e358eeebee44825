/**
 * The `accounts` field of a log entry: the platform account ids an unroutable
 * item names (RejectedItem.accounts), stored as a top-level array so
 * `GET /unrouted?account=` finds an account's entries with one indexed
 * `array-contains` query (topology.json: accounts CONTAINS, timestamp DESC).
 *
 * The rejection arrives over Pub/Sub from another function, so its accounts
 * are checked here rather than trusted: only strings of the length an API
 * filter accepts are kept (longer is no real account id, and would only bloat
 * the index entry), each once, and a bounded number of them.
 */
import type { RejectedItem } from '../contracts/rejection';
import type { EntryFields } from './entry';

/** The entry field; the events-api filter queries it by this name. */
export const ACCOUNTS_FIELD = 'accounts' satisfies keyof EntryFields;

/** An account id's length bounds, the same for what is stored and what the filter accepts. */
export const MAX_ACCOUNT_ID_LENGTH = 200;
/** Items name one or two accounts (an Instagram entry, then its recipient, or its sender for an echo); more is not a webhook item. */
const MAX_ACCOUNTS = 10;

export function isAccountId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ACCOUNT_ID_LENGTH;
}

/** The rejection's account ids as the entry stores them; empty when it names none. */
export function entryAccounts(item: Pick<RejectedItem, 'accounts'>): string[] {
  const raw: unknown = item.accounts;
  if (!Array.isArray(raw)) return [];
  return [...new Set(raw.filter(isAccountId))].slice(0, MAX_ACCOUNTS);
}
