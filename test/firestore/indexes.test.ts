/**
 * Every Firestore query the code sends, held against the indexes topology.json
 * declares: the automatic single-field indexes minus `index_exemptions` (and
 * the TTL fields, which Terraform exempts too), plus `composite_indexes`. The
 * emulator runs any query without an index, so no integration test would see
 * a filter on an exempted field; production would answer FAILED_PRECONDITION.
 *
 * Why this way: each query is built here by the code that sends it (the
 * events API's filters, reconciliation's lanes), and what is checked is the
 * StructuredQuery the client would send for it, so the query code is the one
 * source of truth and nothing here repeats its fields. Recording the queries
 * the integration suites send would check only what those suites happen to
 * run, and needs a hook in suites of every area. What a unit test cannot see
 * is a query site nobody listed: the scan at the end counts the query calls in
 * the source, file by file, so a new one fails here until it is added below.
 * (`toStructuredQuery` is the client's own, not in its typings; the lockfile
 * pins it, and a client without it fails this test loudly.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Firestore, type Query } from '@google-cloud/firestore';
import type { RawMessageAttributes } from '../../shared/contracts/raw-message';
import { topology } from '../../shared/contracts/topology';
import { eventLogCollection } from '../../shared/event-log/outcomes';
import { fromRawDeadLetter } from '../../shared/event-log/entry';
import { RAW_MESSAGES, rawRecord } from '../../shared/event-log/raw-store';
import { UNROUTED_EVENTS } from '../../shared/event-log/writer';
import { FILTER_PARAMS, parseFilter, type FilterInput } from '../../shared/events-api/filters';
import { buildQuery, newestFirst } from '../../shared/events-api/query';
import { ACCOUNT_FILTER, UNROUTED_FILTERS } from '../../shared/events-api/unrouted-list';
import { PENDING_LANES, pendingQuery } from '../../shared/reconcile/store';
import { WAITING_FOR_REPLY_QUERY } from '../../shared/triggers/store';

type Direction = 'ASCENDING' | 'DESCENDING';
/** What an index must serve: the equality (and `in`) fields, one array-contains, and the order (range filters are on it). */
interface Shape {
  group: string;
  equals: string[];
  contains?: string;
  order?: { field: string; direction: Direction };
}

const ROOT = path.join(__dirname, '..', '..');
const db = new Firestore({ projectId: 'index-check' });
const { firestore } = topology;

interface StructuredQuery {
  from: Array<{ collectionId: string; allDescendants?: boolean }>;
  where?: { compositeFilter?: { filters: FieldFilter[] } } & FieldFilter;
  orderBy?: Array<{ field: { fieldPath: string }; direction: Direction }>;
}
interface FieldFilter {
  fieldFilter?: { field: { fieldPath: string }; op: string };
}

const RANGE_OPS = new Set(['LESS_THAN', 'LESS_THAN_OR_EQUAL', 'GREATER_THAN', 'GREATER_THAN_OR_EQUAL', 'NOT_EQUAL', 'NOT_IN']);

/** The shape of the query the client would send for `query`. */
function shapeOf(query: Query): Shape {
  const sq = (query as unknown as { toStructuredQuery(): StructuredQuery }).toStructuredQuery();
  const filters = sq.where?.compositeFilter?.filters ?? (sq.where ? [sq.where] : []);
  const shape: Shape = { group: sq.from[0]!.collectionId, equals: [] };
  let range: string | undefined;
  for (const f of filters) {
    const { field, op } = f.fieldFilter!;
    if (op === 'EQUAL' || op === 'IN') shape.equals.push(field.fieldPath);
    else if (op === 'ARRAY_CONTAINS') shape.contains = field.fieldPath;
    else if (RANGE_OPS.has(op)) range = field.fieldPath;
    else throw new Error(`a filter this check does not know: ${op} on ${field.fieldPath}`);
  }
  const first = sq.orderBy?.find((o) => o.field.fieldPath !== '__name__');
  if (first) shape.order = { field: first.field.fieldPath, direction: first.direction };
  else if (range) shape.order = { field: range, direction: 'ASCENDING' };
  // Firestore orders by the range field first; a range on another field would need an index this check does not model.
  if (range) expect(shape.order?.field).toBe(range);
  return shape;
}

const exemptions = [...firestore.index_exemptions, ...firestore.ttl_fields];
/** Whether `field` of `group` has no single-field index: it, or a map holding it, is exempted. */
const exempt = (group: string, field: string) =>
  exemptions.some((e) => e.collection_group === group && (field === e.field || field.startsWith(`${e.field}.`)));

function composite(group: string, fields: Array<{ field: string; order?: Direction; contains?: boolean }>): boolean {
  return firestore.composite_indexes.some(
    (i) =>
      i.collection_group === group &&
      i.fields.length === fields.length &&
      i.fields.every((f, n) => {
        const want = fields[n]!;
        return f.field_path === want.field && (want.contains ? f.array_config === 'CONTAINS' : f.order === want.order);
      }),
  );
}

/** Every way `fields` can be ordered (equality fields lead a composite in any order). */
const orderings = (fields: string[]): string[][] =>
  fields.length <= 1
    ? [fields]
    : fields.flatMap((f, i) => orderings([...fields.slice(0, i), ...fields.slice(i + 1)]).map((rest) => [f, ...rest]));

/** Why the declared indexes cannot serve `shape`, or undefined when they can. */
function unserved(shape: Shape): string | undefined {
  const { group, equals, contains, order } = shape;
  const orderField = order ? [{ field: order.field, order: order.direction }] : [];
  const exact = () =>
    orderings(equals).some((eq) =>
      composite(group, [
        ...eq.map((field) => ({ field, order: 'ASCENDING' as const })),
        ...(contains ? [{ field: contains, contains: true }] : []),
        ...orderField,
      ]),
    ) ||
    orderings(equals).some((eq) =>
      composite(group, [
        ...eq.map((field) => ({ field, order: 'DESCENDING' as const })),
        ...(contains ? [{ field: contains, contains: true }] : []),
        ...orderField,
      ]),
    );
  const onlyField = [...new Set([...equals, ...(contains ? [contains] : []), ...(order ? [order.field] : [])])];
  // One field, or equalities only: the automatic single-field indexes (merged), unless exempted.
  if (onlyField.length === 1 || (!order && !contains)) {
    const off = onlyField.filter((f) => exempt(group, f));
    return off.length && !exact() ? `single-field index exempted for ${off.join(', ')}` : undefined;
  }
  if (exact()) return undefined;
  // Equalities merged over (field, order) composites, one per equality field (topology.json's $comment).
  if (!contains && order && equals.every((f) => composite(group, [{ field: f, order: 'ASCENDING' }, ...orderField]))) return undefined;
  return `no composite index (${[...equals, contains, order && `${order.field} ${order.direction}`].filter(Boolean).join(', ')})`;
}

/** The queries production sends, built by the code that sends them. */
const built: Array<[string, Query]> = [
  // The events API's list (and bulk replay, which pages the same list): each filter alone, all at once, and the person filter's `in`.
  ...Object.keys(FILTER_PARAMS).map((param): [string, Query] => {
    const value = { type: 'messaging.*', type_prefix: 'messaging.message', from: '2026-01-01', to: '2026-02-01' }[param] ?? 'x';
    return [`events list ?${param}=`, buildQuery(db, 'ws', parseFilter({ [param]: value } as FilterInput))];
  }),
  [
    'events list, every filter',
    buildQuery(
      db,
      'ws',
      parseFilter({
        platform: 'line',
        type: 'messaging.message.received',
        status: 'failed',
        contact_id: 'c',
        block_id: 'b',
        replayed: 'true',
        from: '2026-01-01',
        to: '2026-02-01',
      }),
    ),
  ],
  ['events list, no filter', buildQuery(db, 'ws', parseFilter({}))],
  [
    'events list, a merged person',
    newestFirst(eventLogCollection(db, 'ws').where('contact_id', 'in', ['a', 'b']), { status: 'failed' }, {}),
  ],
  // The operators' unrouted list: each filter, both, and the account filter (with time only).
  ...Object.values(UNROUTED_FILTERS).map(({ field }): [string, Query] => [
    `unrouted ${field}`,
    newestFirst(db.collection(UNROUTED_EVENTS), { [field]: 'x' }, {}),
  ]),
  [
    'unrouted, both filters',
    newestFirst(db.collection(UNROUTED_EVENTS), Object.fromEntries(Object.values(UNROUTED_FILTERS).map((f) => [f.field, 'x'])), {}),
  ],
  [
    'unrouted by account',
    newestFirst(db.collection(UNROUTED_EVENTS).where(ACCOUNT_FILTER.field, 'array-contains', 'x'), {}, { from: new Date(0) }),
  ],
  // Reconciliation: every lane, the unsharded one included.
  ...PENDING_LANES.map((lane): [string, Query] => [`reconciliation lane ${lane}`, pendingQuery(db, lane, new Date())]),
];

/** Queries written inline where they are sent, by file; a file's count is its query calls (the scan below). */
const INLINE: Record<string, { calls: number; shapes: Shape[]; note?: string }> = {
  'shared/events-api/query.ts': { calls: 6, shapes: [], note: 'newestFirst and the person filter: built above' },
  'shared/events-api/unrouted-list.ts': { calls: 1, shapes: [], note: 'the account filter: built above' },
  'shared/reconcile/store.ts': { calls: 4, shapes: [], note: 'pendingQuery: built above' },
  'shared/events-api/reconciliations.ts': {
    calls: 2,
    shapes: [{ group: 'reconciliations', equals: [], order: { field: 'timestamp', direction: 'DESCENDING' } }],
  },
  'shared/triggers/store.ts': {
    calls: 2,
    shapes: [
      { group: WAITING_FOR_REPLY_QUERY.collection, equals: [WAITING_FOR_REPLY_QUERY.contactField, WAITING_FOR_REPLY_QUERY.statusField] },
    ],
  },
  'shared/triggers/index-cache.ts': {
    calls: 2,
    shapes: [{ group: 'workflows', equals: ['status'] }],
    note: 'a listener on the same query',
  },
  'shared/contacts/person.ts': {
    calls: 1,
    shapes: [
      { group: 'contacts', equals: ['merged_into'] },
      { group: 'conversations', equals: ['merged_into'] },
    ],
  },
  'shared/blocks/service.ts': {
    calls: 2,
    shapes: [
      { group: 'blocks', equals: ['workspace_id'] },
      { group: 'blocks', equals: ['status'] },
    ],
  },
};

/**
 * Local tools that read the emulator only (`npm run send` follows a request on the local stack and refuses a
 * remote one; the chaos ledger and the benches run on `npm start`): the emulator needs no index, so these may
 * filter on exempted fields, such as an entry's request_id.
 */
const EMULATOR_ONLY: Record<string, { calls: number; why: string }> = {
  'scripts/lib/observe.ts': { calls: 2, why: "npm run send follows a request in the local emulator's log by request_id" },
  'scripts/lib/chaos/ledger.ts': { calls: 4, why: 'npm run chaos checks the local stack' },
  'scripts/bench/event-log-poll.ts': { calls: 1, why: 'bench, local stack' },
  'scripts/bench/e2e.ts': { calls: 1, why: 'bench, a listener on a probe document of its own' },
};

describe('every query is served by the indexes topology.json declares', () => {
  test.each(built.map(([name, query]) => [name, shapeOf(query)] as const))('%s', (_name, shape) => {
    expect(unserved(shape)).toBeUndefined();
  });

  test.each(
    Object.entries(INLINE).flatMap(([file, { shapes }]) => shapes.map((s) => [`${file}: ${s.group}(${s.equals.join(', ')})`, s] as const)),
  )('%s', (_name, shape) => {
    expect(unserved(shape)).toBeUndefined();
  });

  test('the check itself refuses what production would', () => {
    expect(unserved({ group: 'event_log', equals: ['request_id'] })).toMatch(/exempted for request_id/);
    expect(unserved({ group: 'event_log', equals: ['consumers.triggers.status'] })).toMatch(/exempted/);
    expect(unserved({ group: 'event_log', equals: ['source'], order: { field: 'timestamp', direction: 'DESCENDING' } })).toMatch(
      /no composite/,
    );
    expect(unserved({ group: 'event_log', equals: ['status'], order: { field: 'timestamp', direction: 'ASCENDING' } })).toMatch(
      /no composite/,
    );
    expect(unserved({ group: RAW_MESSAGES, equals: ['reconcile'] })).toMatch(/exempted/);
    expect(unserved({ group: RAW_MESSAGES, equals: [], order: { field: 'received_at', direction: 'ASCENDING' } })).toMatch(/exempted/);
  });
});

describe('every field is either queried or exempted', () => {
  const attrs: RawMessageAttributes = {
    platform: 'line',
    request_id: 'r',
    received_at: '2026-01-01T00:00:00Z',
    kind: 'webhook',
    content_type: 'application/json',
  };
  const queried = (group: string) =>
    new Set(
      [...built.map(([, q]) => shapeOf(q)), ...Object.values(INLINE).flatMap((i) => i.shapes)]
        .filter((s) => s.group === group)
        .flatMap((s) => [...s.equals, ...(s.contains ? [s.contains] : []), ...(s.order ? [s.order.field] : [])]),
    );

  test('raw_messages: every field is exempted (it is read by id, and by reconciliation through its composite indexes)', () => {
    // What the writer stores, and what reconciliation adds when it settles a body (store.ts settledUpdate, attemptUpdate).
    const fields = [
      ...Object.keys(rawRecord(Buffer.from('{}'), attrs, { ...attrs }, 30, new Date())),
      'reconciled_at',
      'reconcile_attempts',
    ];
    expect(fields.filter((f) => !exempt(RAW_MESSAGES, f))).toEqual([]);
  });

  test.each(['event_log', UNROUTED_EVENTS])('%s: a field the log writes is queried or exempted, never both', (group) => {
    const builder = Object.keys(fromRawDeadLetter(Buffer.from('{}'), attrs, { now: new Date(), retentionDays: 30 }));
    // Written by others (entry.ts's header): outcome reports, replays, and on unrouted entries the unrouted replay.
    const others = [
      'status',
      'consumers',
      'execution_ids',
      'last_error',
      'updated_at',
      'replays',
      'replayed',
      'envelope_omitted',
      'accounts',
    ];
    const unroutedOnly = group === UNROUTED_EVENTS ? ['replayed_at', 'routed_to'] : [];
    const used = queried(group);
    const fields = [...builder, ...others, ...unroutedOnly];
    // A map queried by a subfield (rejection.reason) is decided subfield by subfield.
    const undecided = fields.filter((f) => !exempt(group, f) && !used.has(f) && ![...used].some((u) => u.startsWith(`${f}.`)));
    expect(undecided).toEqual([]);
    expect([...used].filter((f) => exempt(group, f))).toEqual([]);
  });
});

test('every Firestore query call in shared/, functions/ and scripts/ is listed here', () => {
  const CALL = /\.(where|orderBy|findNearest|count|collectionGroup|onSnapshot|aggregate)\(/g;
  const files = (dir: string): string[] =>
    readdirSync(path.join(ROOT, dir)).flatMap((name) => {
      const rel = path.join(dir, name);
      if (name === 'node_modules') return [];
      if (statSync(path.join(ROOT, rel)).isDirectory()) return files(rel);
      return /\.(ts|js|cjs|mjs)$/.test(name) ? [rel] : [];
    });
  const found = Object.fromEntries(
    ['shared', 'functions', 'scripts']
      .flatMap(files)
      .map((f) => [f.split(path.sep).join('/'), (readFileSync(path.join(ROOT, f), 'utf8').match(CALL) ?? []).length] as const)
      .filter(([, n]) => n > 0),
  );
  const listed = Object.fromEntries([...Object.entries(INLINE), ...Object.entries(EMULATOR_ONLY)].map(([f, v]) => [f, v.calls]));
  // A difference names the file: list its query here (built, INLINE with its shape, or EMULATOR_ONLY with why).
  expect(found).toEqual(listed);
});
