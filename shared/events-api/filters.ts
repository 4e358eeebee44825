/**
 * The list filters the API offers and how each maps onto the event log's
 * fields. Queries are built only from equality filters on FILTER_FIELDS plus a
 * range and order on `timestamp`, and every FILTER_FIELDS entry has a
 * (field ASC, timestamp DESC) index declared in topology.json (a test checks
 * it): Firestore merges those indexes for any combination, so any filter mix
 * is one indexed query.
 */
import { EVENT_TYPE_NAMES, isEventType } from '../envelope';
import { isStorableTime, typeParts } from '../event-log/entry';
import { badRequest } from './http';
import type { ListFilterParams } from './schemas';

export { SOURCES } from './schemas';

/** The log's equality-filterable fields. */
export const FILTER_FIELDS = ['platform', 'type', 'type_domain', 'type_entity', 'status', 'contact_id', 'block_id', 'replayed'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];
export const ORDER_FIELD = 'timestamp';

/** Every parameter a filter accepts, and the log fields it may query. */
export const FILTER_PARAMS: Record<string, readonly (FilterField | typeof ORDER_FIELD)[]> = {
  platform: ['platform'],
  type: ['type', 'type_domain', 'type_entity'],
  type_prefix: ['type_domain', 'type_entity'],
  status: ['status'],
  contact_id: ['contact_id'],
  block_id: ['block_id'],
  replayed: ['replayed'],
  from: [ORDER_FIELD],
  to: [ORDER_FIELD],
};

/** A range on the event time (ORDER_FIELD). */
export interface TimeRange {
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** A filter value as the log stores it: strings, and `replayed` as a boolean. */
export type FilterValue = string | boolean;

export interface ListFilter extends TimeRange {
  equals: Partial<Record<FilterField, FilterValue>>;
}

const DOMAINS = new Set(EVENT_TYPE_NAMES.map((t) => typeParts(t).type_domain));
const ENTITIES = new Set(EVENT_TYPE_NAMES.map((t) => typeParts(t).type_entity).filter((e): e is string => !!e));

/** `messaging`, `messaging.*`, `messaging.message`, `messaging.message.*` → the field and value to match. */
function prefixFilter(param: string, raw: string): Partial<Record<FilterField, FilterValue>> {
  const prefix = raw.endsWith('.*') ? raw.slice(0, -2) : raw;
  if (DOMAINS.has(prefix)) return { type_domain: prefix };
  if (ENTITIES.has(prefix)) return { type_entity: prefix };
  throw badRequest(
    'invalid_parameter',
    `${param}=${raw} is not a known event domain (e.g. messaging) or domain.entity (e.g. messaging.message)`,
  );
}

function date(param: string, raw: string): Date {
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(ms))
    throw badRequest('invalid_parameter', `${param} must be an ISO 8601 time, got ${JSON.stringify(raw)}`);
  // Outside what a Firestore Timestamp holds, the query would throw (a 500).
  if (!isStorableTime(ms)) throw badRequest('invalid_parameter', `${param} must be a time from year 1 to 9999`);
  return new Date(ms);
}

/** The filter parameters, their shape already checked against ListFilterParams (schemas.ts); `replayed` may be a JSON boolean. */
export type FilterInput = { [K in Exclude<keyof typeof ListFilterParams, 'replayed'>]?: string } & { replayed?: string | boolean };

/** The filter `input` expresses: the event types and times checked here, with the parameter named. */
export function parseFilter(input: FilterInput): ListFilter {
  const filter: ListFilter = { equals: {} };
  const eq = filter.equals;
  if (input.platform !== undefined) eq.platform = input.platform;
  const { type, type_prefix: typePrefix } = input;
  if (type !== undefined && typePrefix !== undefined) throw badRequest('invalid_parameter', 'give type or type_prefix, not both');
  if (type !== undefined) {
    if (type.endsWith('*')) Object.assign(eq, prefixFilter('type', type));
    else if (isEventType(type)) eq.type = type;
    else
      throw badRequest(
        'invalid_parameter',
        `type ${JSON.stringify(type)} is not an event type (use type=messaging.* or type_prefix= for a prefix)`,
      );
  }
  if (typePrefix !== undefined) Object.assign(eq, prefixFilter('type_prefix', typePrefix));
  if (input.status !== undefined) eq.status = input.status;
  if (input.contact_id !== undefined) eq.contact_id = input.contact_id;
  if (input.block_id !== undefined) eq.block_id = input.block_id;
  if (input.replayed !== undefined) eq.replayed = input.replayed === true || input.replayed === 'true';
  return { ...filter, ...parseTimeRange(input) };
}

/** The `from` / `to` parameters (ISO 8601 times), checked to make a non-empty range. */
export function parseTimeRange(input: { from?: string; to?: string }): TimeRange {
  const range: TimeRange = {};
  if (input.from !== undefined) range.from = date('from', input.from);
  if (input.to !== undefined) range.to = date('to', input.to);
  if (range.from && range.to && range.from >= range.to) throw badRequest('invalid_parameter', 'from must be before to');
  return range;
}

/** Whether the filter narrows nothing: a bulk replay of it needs confirm_all. */
export function isEmptyFilter(filter: ListFilter): boolean {
  return Object.values(filter.equals).every((v) => v === undefined) && !filter.from && !filter.to;
}

/** The filter as the parameters that express it (stored on replay jobs, echoed to callers). */
export function describeFilter(filter: ListFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(filter.equals)) if (value !== undefined) out[field] = String(value);
  if (filter.from) out.from = filter.from.toISOString();
  if (filter.to) out.to = filter.to.toISOString();
  return out;
}
