/**
 * Listing `unrouted_events`: webhook items (and messages) the pipeline could
 * not tie to a workspace, e.g. a WhatsApp phone_number_id whose Block is not
 * connected yet. Not workspace-scoped, so for operators only: the function is
 * private behind Cloud Run invoker IAM, and the dashboard never calls these
 * routes.
 *
 * Same order, cursor and limit as a workspace's log (query.ts). Each filter
 * is an equality on one field of the entry, and UNROUTED_FILTERS is the one
 * list: every field it names has an (field ASC, timestamp DESC) index on
 * `unrouted_events` in topology.json (a test checks it), so any combination
 * is one indexed query. The account an unroutable item names is not stored
 * on the entry (only in `rejection.detail`), so it cannot be a filter.
 */
import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import { ENTRY_REASONS } from '../event-log/entry';
import { isDocId, UNROUTED_EVENTS } from '../event-log/writer';
import { parseTimeRange, SOURCES, type TimeRange } from './filters';
import { badRequest, single } from './http';
import { newestFirst, pageOf, type Page } from './query';

/** Filter parameter -> the entry field it matches and the values it accepts. */
export const UNROUTED_FILTERS = {
  platform: { field: 'platform', values: SOURCES },
  reason: { field: 'rejection.reason', values: ENTRY_REASONS },
} as const satisfies Record<string, { field: string; values: readonly string[] }>;

const TIME_PARAMS = ['from', 'to'] as const;

export interface UnroutedFilter extends TimeRange {
  /** Entry field path -> the value it must equal. */
  equals: Record<string, string>;
}

/** Reads the filter parameters out of a query string, ignoring `others` (limit, cursor). */
export function parseUnroutedFilter(input: Record<string, unknown>, others: readonly string[] = []): UnroutedFilter {
  const known: readonly string[] = [...Object.keys(UNROUTED_FILTERS), ...TIME_PARAMS, ...others];
  const unknown = Object.keys(input).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw badRequest('unknown_parameter', `unknown parameter(s) ${unknown.join(', ')}; filters are ${[...Object.keys(UNROUTED_FILTERS), ...TIME_PARAMS].join(', ')}`);
  }
  const equals: Record<string, string> = {};
  for (const [param, { field, values }] of Object.entries(UNROUTED_FILTERS)) {
    const value = single(param, input[param]);
    if (value === undefined) continue;
    if (!(values as readonly string[]).includes(value)) throw badRequest('invalid_parameter', `${param} must be one of ${values.join(', ')}`);
    equals[field] = value;
  }
  return { equals, ...parseTimeRange(input) };
}

/** The entry `id` names, or undefined when `id` cannot be a document id (such an entry cannot exist). */
export function unroutedRef(db: Firestore, id: string): DocumentReference | undefined {
  return isDocId(id) ? db.collection(UNROUTED_EVENTS).doc(id) : undefined;
}

export function unroutedPage(db: Firestore, filter: UnroutedFilter, limit: number, cursor?: string): Promise<Page> {
  return pageOf(newestFirst(db.collection(UNROUTED_EVENTS), filter.equals, filter), limit, cursor);
}
