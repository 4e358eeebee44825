/**
 * Listing the log: equality filters + a `timestamp` range, newest first, with
 * an opaque cursor (the last entry's timestamp and id, and a hash of the
 * filter it pages, base64url JSON): a cursor reused with another filter is
 * refused (cursor_filter_mismatch) instead of paging a different list. The
 * document id breaks ties between entries of the same millisecond, so pages
 * neither skip nor repeat entries. A workspace's log and `unrouted_events`
 * page the same way (newestFirst + pageOf).
 */
import { createHash } from 'node:crypto';
import { FieldPath, Timestamp, type Firestore, type Query, type QueryDocumentSnapshot } from '@google-cloud/firestore';
import { personContactIds } from '../contacts/person';
import { eventLogCollection } from '../event-log/outcomes';
import { describeFilter, ORDER_FIELD, type FilterValue, type ListFilter, type TimeRange } from './filters';
import { badRequest } from './http';
import { MAX_LIMIT } from './schemas';

export { MAX_LIMIT } from './schemas';
export const DEFAULT_LIMIT = 50;

interface Cursor {
  s: number;
  n: number;
  id: string;
  /** filterKey of the filter the cursor pages. */
  f: string;
}

/** A short digest of a filter (its parameters, in a fixed order): what a cursor is bound to. */
export function filterKey(filter: Readonly<Record<string, unknown>>): string {
  const sorted = Object.keys(filter)
    .sort()
    .map((k) => [k, filter[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('base64url').slice(0, 16);
}

export function encodeCursor(doc: QueryDocumentSnapshot, key: string): string {
  const t = doc.get(ORDER_FIELD) as Timestamp;
  const cursor: Cursor = { s: t.seconds, n: t.nanoseconds, id: doc.id, f: key };
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/** The seconds a Firestore Timestamp holds (0001-01-01 to 9999-12-31). */
const MIN_SECONDS = -62_135_596_800;
const MAX_SECONDS = 253_402_300_799;
/** A document id Firestore accepts as a cursor position: no `/`, not `.`/`..`/`__…__`, at most 1,500 bytes. */
function isDocumentId(id: unknown): id is string {
  return (
    typeof id === 'string' &&
    id.length > 0 &&
    Buffer.byteLength(id) <= 1500 &&
    !id.includes('/') &&
    id !== '.' &&
    id !== '..' &&
    !/^__.*__$/.test(id)
  );
}

function parseCursor(raw: string): Cursor | undefined {
  try {
    return JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Cursor;
  } catch {
    return undefined;
  }
}

/** The cursor `raw` names, or a 400: not one of ours (invalid_parameter), or one of another filter (cursor_filter_mismatch). */
export function decodeCursor(raw: string, key: string): Cursor {
  const c = parseCursor(raw);
  // Every bound Firestore itself enforces (it throws, a 500, on a Timestamp or id out of range).
  const valid =
    typeof c === 'object' &&
    c !== null &&
    Number.isInteger(c.s) &&
    c.s >= MIN_SECONDS &&
    c.s <= MAX_SECONDS &&
    Number.isInteger(c.n) &&
    c.n >= 0 &&
    c.n < 1e9 &&
    isDocumentId(c.id) &&
    typeof c.f === 'string';
  if (!valid) throw badRequest('invalid_parameter', 'cursor is not a cursor this API returned');
  if (c.f !== key)
    throw badRequest(
      'cursor_filter_mismatch',
      'this cursor pages a list with another filter: repeat the filter of the request that returned it, or drop the cursor to start over',
    );
  return c;
}

/** The `limit` parameter (its digits already checked by the schema), in range. */
export function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const n = Number(raw);
  if (n < 1 || n > MAX_LIMIT) throw badRequest('invalid_parameter', `limit must be an integer from 1 to ${MAX_LIMIT}`);
  return n;
}

/** `base` narrowed to entries whose fields equal `equals` and whose event time is in `range`, newest first. */
export function newestFirst(base: Query, equals: Readonly<Record<string, FilterValue | undefined>>, range: TimeRange): Query {
  let query = base;
  for (const [field, value] of Object.entries(equals)) if (value !== undefined) query = query.where(field, '==', value);
  if (range.from) query = query.where(ORDER_FIELD, '>=', Timestamp.fromDate(range.from));
  if (range.to) query = query.where(ORDER_FIELD, '<', Timestamp.fromDate(range.to));
  return query.orderBy(ORDER_FIELD, 'desc').orderBy(FieldPath.documentId(), 'desc');
}

export function buildQuery(db: Firestore, workspaceId: string, filter: ListFilter): Query {
  return newestFirst(eventLogCollection(db, workspaceId), filter.equals, filter);
}

export interface Page {
  docs: QueryDocumentSnapshot[];
  nextCursor: string | null;
}

export async function listPage(db: Firestore, workspaceId: string, filter: ListFilter, limit: number, cursor?: string): Promise<Page> {
  return pageOf(await personQuery(db, workspaceId, filter), filterKey(describeFilter(filter)), limit, cursor);
}

/**
 * A contact filter names a person: an event keeps the contact id its payload
 * derived, which a merge (WhatsApp: phone number and BSUID) may since have
 * folded into another, so the filter matches every id of that person.
 */
async function personQuery(db: Firestore, workspaceId: string, filter: ListFilter): Promise<Query> {
  const { contact_id: contact, ...rest } = filter.equals;
  const ids = typeof contact === 'string' ? await personContactIds(db, workspaceId, contact) : [];
  if (ids.length <= 1) return buildQuery(db, workspaceId, filter);
  return newestFirst(eventLogCollection(db, workspaceId).where('contact_id', 'in', ids), rest, filter);
}

/** One page of a newestFirst query for the filter `key` names, after the entry `cursor` names. */
export async function pageOf(ordered: Query, key: string, limit: number, cursor?: string): Promise<Page> {
  let query = ordered;
  if (cursor) {
    const c = decodeCursor(cursor, key);
    query = query.startAfter(new Timestamp(c.s, c.n), c.id);
  }
  // One more than asked tells whether there is a next page without a second query.
  const snap = await query.limit(limit + 1).get();
  const docs = snap.docs.slice(0, limit);
  const last = docs[docs.length - 1];
  return { docs, nextCursor: snap.docs.length > limit && last ? encodeCursor(last, key) : null };
}
