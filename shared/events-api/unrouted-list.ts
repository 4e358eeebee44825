/**
 * Listing `unrouted_events`: webhook items (and messages) the pipeline could
 * not tie to a workspace, e.g. a WhatsApp phone_number_id whose Block is not
 * connected yet. Not workspace-scoped, so for operators only: the function is
 * private behind Cloud Run invoker IAM, and the dashboard never calls these
 * routes.
 *
 * Same order, cursor and limit as a workspace's log (query.ts). Each filter
 * in UNROUTED_FILTERS is an equality on one field of the entry, and every
 * field it names has an (field ASC, timestamp DESC) index on
 * `unrouted_events` in topology.json (a test checks it), so any combination
 * is one indexed query.
 *
 * `account` (ACCOUNT_FILTER) finds the entries of one platform account, the
 * operator's question once its Block is connected: `array-contains` on the
 * entry's `accounts` (event-log/accounts.ts), served by the (accounts
 * CONTAINS, timestamp DESC) index together with from/to, order and cursor.
 * It is not combined with platform or reason: that would need an index per
 * combination (index merging is documented for equality filters, not for
 * array-contains), and neither narrows anything, since an account id is one
 * platform's and only unroutable items carry accounts. One account per
 * query: Firestore allows a single array-contains.
 */
import type { DocumentReference, Firestore, Query } from '@google-cloud/firestore';
import { ACCOUNTS_FIELD } from '../event-log/accounts';
import { ENTRY_REASONS } from '../event-log/entry';
import { isDocId, UNROUTED_EVENTS } from '../event-log/writer';
import { parseTimeRange, SOURCES, type TimeRange } from './filters';
import { badRequest } from './http';
import { filterKey, newestFirst, pageOf, type Page } from './query';

/** Filter parameter -> the entry field it matches and the values it accepts. */
export const UNROUTED_FILTERS = {
  platform: { field: 'platform', values: SOURCES },
  reason: { field: 'rejection.reason', values: ENTRY_REASONS },
} as const satisfies Record<string, { field: string; values: readonly string[] }>;

/** Filter parameter -> the entry's array field that must contain the value. */
export const ACCOUNT_FILTER = { param: 'account', field: ACCOUNTS_FIELD } as const;

const TIME_PARAMS = ['from', 'to'] as const;

export interface UnroutedFilter extends TimeRange {
  /** Entry field path -> the value it must equal. */
  equals: Record<string, string>;
  /** The account id the entry's `accounts` must contain. */
  account?: string;
}

/** The filter parameters, their shape already checked against UnroutedListQuery (schemas.ts). */
export type UnroutedFilterInput = { platform?: string; reason?: string; account?: string; from?: string; to?: string };

/** The filter `input` expresses; `account` combines with time only. */
export function parseUnroutedFilter(input: UnroutedFilterInput): UnroutedFilter {
  const equals: Record<string, string> = {};
  for (const [param, { field }] of Object.entries(UNROUTED_FILTERS)) {
    const value = input[param as keyof typeof UNROUTED_FILTERS];
    if (value !== undefined) equals[field] = value;
  }
  const account = input.account;
  if (account !== undefined && Object.keys(equals).length) {
    throw badRequest(
      'invalid_parameter',
      `${ACCOUNT_FILTER.param} combines only with ${TIME_PARAMS.join(', ')}, limit and cursor, not with ${Object.keys(UNROUTED_FILTERS).join(' or ')}: ` +
        "an account id is one platform's and only unroutable entries carry accounts, so list by account alone",
    );
  }
  return { equals, ...(account !== undefined ? { account } : {}), ...parseTimeRange(input) };
}

/** The entry `id` names, or undefined when `id` cannot be a document id (such an entry cannot exist). */
export function unroutedRef(db: Firestore, id: string): DocumentReference | undefined {
  return isDocId(id) ? db.collection(UNROUTED_EVENTS).doc(id) : undefined;
}

function unroutedQuery(db: Firestore, filter: UnroutedFilter): Query {
  let base: Query = db.collection(UNROUTED_EVENTS);
  if (filter.account !== undefined) base = base.where(ACCOUNT_FILTER.field, 'array-contains', filter.account);
  return newestFirst(base, filter.equals, filter);
}

export function unroutedPage(db: Firestore, filter: UnroutedFilter, limit: number, cursor?: string): Promise<Page> {
  const key = filterKey({ ...filter.equals, account: filter.account, from: filter.from?.toISOString(), to: filter.to?.toISOString() });
  return pageOf(unroutedQuery(db, filter), key, limit, cursor);
}
