/**
 * The list filters the API offers and how each maps onto the event log's
 * fields. Queries are built only from equality filters on FILTER_FIELDS plus a
 * range and order on `timestamp`, and every FILTER_FIELDS entry has a
 * (field ASC, timestamp DESC) index declared in topology.json (a test checks
 * it): Firestore merges those indexes for any combination, so any filter mix
 * is one indexed query.
 */
import { EVENT_TYPE_NAMES, isEventType } from '../envelope';
import { PLATFORMS, INTERNAL_SOURCE } from '../platforms';
import { ENTRY_STATUSES, type EntryStatus } from '../event-log/outcomes';
import { isStorableTime, typeParts } from '../event-log/entry';
import { badRequest, single } from './http';

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

/** The values `platform` may take: the webhook platforms and the internal source. */
export const SOURCES: readonly string[] = [...PLATFORMS, INTERNAL_SOURCE];
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

function id(param: string, raw: string): string {
  if (raw.length === 0 || raw.length > 200) throw badRequest('invalid_parameter', `${param} must be 1 to 200 characters`);
  return raw;
}

/** Reads the filter parameters out of `input` (a query string or a JSON object), ignoring `others`. */
export function parseFilter(input: Record<string, unknown>, others: readonly string[] = []): ListFilter {
  const unknown = Object.keys(input).filter((k) => !(k in FILTER_PARAMS) && !others.includes(k));
  if (unknown.length) {
    throw badRequest(
      'unknown_parameter',
      `unknown parameter(s) ${unknown.join(', ')}; filters are ${Object.keys(FILTER_PARAMS).join(', ')}`,
    );
  }
  const get = (name: string) => single(name, input[name]);
  const filter: ListFilter = { equals: {} };
  const eq = filter.equals;

  const platform = get('platform');
  if (platform !== undefined) {
    if (!SOURCES.includes(platform)) throw badRequest('invalid_parameter', `platform must be one of ${SOURCES.join(', ')}`);
    eq.platform = platform;
  }
  const type = get('type');
  const typePrefix = get('type_prefix');
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
  const status = get('status');
  if (status !== undefined) {
    if (!(ENTRY_STATUSES as readonly string[]).includes(status))
      throw badRequest('invalid_parameter', `status must be one of ${ENTRY_STATUSES.join(', ')}`);
    eq.status = status as EntryStatus;
  }
  const contact = get('contact_id');
  if (contact !== undefined) eq.contact_id = id('contact_id', contact);
  const block = get('block_id');
  if (block !== undefined) eq.block_id = id('block_id', block);
  const replayed = flag('replayed', input.replayed);
  if (replayed !== undefined) eq.replayed = replayed;
  return { ...filter, ...parseTimeRange(input) };
}

/** A yes/no parameter: `true` / `false` in a query string, or a JSON boolean. */
function flag(param: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  const raw = single(param, value);
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw badRequest('invalid_parameter', `${param} must be true or false, got ${JSON.stringify(raw)}`);
}

/** The `from` / `to` parameters of `input` (ISO 8601 times), checked to make a non-empty range. */
export function parseTimeRange(input: Record<string, unknown>): TimeRange {
  const range: TimeRange = {};
  const from = single('from', input.from);
  const to = single('to', input.to);
  if (from !== undefined) range.from = date('from', from);
  if (to !== undefined) range.to = date('to', to);
  if (range.from && range.to && range.from >= range.to) throw badRequest('invalid_parameter', 'from must be before to');
  return range;
}

/** The filter as the parameters that express it (stored on replay jobs, echoed to callers). */
export function describeFilter(filter: ListFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(filter.equals)) if (value !== undefined) out[field] = String(value);
  if (filter.from) out.from = filter.from.toISOString();
  if (filter.to) out.to = filter.to.toISOString();
  return out;
}
