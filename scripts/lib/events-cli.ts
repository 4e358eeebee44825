/**
 * `npm run events`'s command line (scripts/events.ts): its options, and how
 * it shows the events API's answers to a person (tables, one line per event,
 * a progress bar). Pure, so parsing and formatting are tested
 * (test/scripts/events-cli.test.ts); events-run.ts calls the API.
 */
import { HELP_OPTION, parseCli, positiveInt, UsageError } from './args';
import { table } from './table';

export const EVENTS_COMMANDS = ['ls', 'tail', 'show', 'replay', 'unrouted'] as const;
export type EventsCommand = (typeof EVENTS_COMMANDS)[number];

/** The list filters of the events API (docs/events-api.md), as options: `--type-prefix` is `type_prefix`. */
export const EVENT_FILTERS = ['platform', 'type', 'type_prefix', 'status', 'contact_id', 'block_id', 'replayed', 'from', 'to'] as const;
/** The filters of GET /unrouted. */
export const UNROUTED_FILTERS = ['platform', 'reason', 'account', 'from', 'to'] as const;

const option = (name: string) => name.replace(/_/g, '-');
const FILTER_OPTIONS = Object.fromEntries(
  [...new Set<string>([...EVENT_FILTERS, ...UNROUTED_FILTERS])].map((f) => [option(f), { type: 'string' } as const]),
);

const OPTIONS = {
  ...HELP_OPTION,
  ...FILTER_OPTIONS,
  filter: { type: 'string', multiple: true },
  url: { type: 'string' },
  workspace: { type: 'string', short: 'w' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  interval: { type: 'string' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  max: { type: 'string' },
  key: { type: 'string' },
} as const;

export interface EventsCli {
  help: boolean;
  command?: EventsCommand;
  /** `show ID`, `replay ID`, `unrouted replay ID`. */
  id?: string;
  /** The API's filter parameters, by their API names. */
  filter: Record<string, string>;
  url?: string;
  workspace: string;
  token?: string;
  json: boolean;
  limit?: number;
  cursor?: string;
  /** tail: seconds between polls. */
  intervalSeconds: number;
  dryRun: boolean;
  yes: boolean;
  max?: number;
  /** replay: the Idempotency-Key (the same key is the same replay or job). */
  key?: string;
}

export const DEFAULT_WORKSPACE = 'ws_demo';

/** `k=v` pairs of --filter and the filter options, merged; a filter given twice, or one this command has not, is refused. */
function filtersOf(values: Record<string, unknown>, allowed: readonly string[]): Record<string, string> {
  const filter: Record<string, string> = {};
  const set = (name: string, value: string) => {
    if (!allowed.includes(name)) throw new UsageError(`unknown filter ${name}; filters here: ${allowed.join(', ')}`);
    if (filter[name] !== undefined && filter[name] !== value) throw new UsageError(`filter ${name} given twice`);
    filter[name] = value;
  };
  for (const pair of (values.filter as string[] | undefined) ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0 || at === pair.length - 1) throw new UsageError(`--filter takes name=value, got ${JSON.stringify(pair)}`);
    set(pair.slice(0, at).replace(/-/g, '_'), pair.slice(at + 1));
  }
  for (const name of [...EVENT_FILTERS, ...UNROUTED_FILTERS]) {
    const value = values[option(name)];
    if (typeof value === 'string') set(name, value);
  }
  return filter;
}

export function parseEventsArgs(argv: readonly string[]): EventsCli {
  const { values, positionals } = parseCli(argv, OPTIONS);
  const [first, ...more] = positionals;
  if (first !== undefined && !(EVENTS_COMMANDS as readonly string[]).includes(first))
    throw new UsageError(`unknown command ${first}; commands: ${EVENTS_COMMANDS.join(', ')}`);
  const command = first as EventsCommand | undefined;
  // `unrouted replay ID`: the one action on an unrouted entry, after its Block is connected.
  const unroutedReplay = command === 'unrouted' && more[0] === 'replay';
  if (unroutedReplay && !more[1]) throw new UsageError('unrouted replay needs an entry id: npm run events -- unrouted replay rej_...');
  const [second, ...rest] = unroutedReplay ? more.slice(1) : more;
  if (rest.length) throw new UsageError(`unexpected argument ${rest[0]}`);
  if (command === 'show' && !second) throw new UsageError('show needs an event id: npm run events -- show evt_...');
  if (second && command !== 'show' && command !== 'replay' && !unroutedReplay) throw new UsageError(`unexpected argument ${second}`);
  const filter = filtersOf(values, command === 'unrouted' ? UNROUTED_FILTERS : EVENT_FILTERS);
  if (command === 'replay' && second && Object.keys(filter).length) throw new UsageError('replay takes an event id or filters, not both');
  if (unroutedReplay && Object.keys(filter).length) throw new UsageError('unrouted replay takes one entry id, not filters');
  if (values['dry-run'] && !(command === 'replay' && !second)) throw new UsageError('--dry-run is for a bulk replay: replay --filter ...');
  return {
    help: values.help === true,
    ...(command ? { command } : {}),
    ...(second ? { id: second } : {}),
    filter,
    ...(values.url ? { url: values.url } : {}),
    workspace: values.workspace ?? DEFAULT_WORKSPACE,
    ...(values.token ? { token: values.token } : {}),
    json: values.json === true,
    ...(values.limit !== undefined ? { limit: positiveInt('limit', values.limit) } : {}),
    ...(values.cursor ? { cursor: values.cursor } : {}),
    intervalSeconds: positiveInt('interval', values.interval) ?? 2,
    dryRun: values['dry-run'] === true,
    yes: values.yes === true,
    ...(values.max !== undefined ? { max: positiveInt('max', values.max) } : {}),
    ...(values.key ? { key: values.key } : {}),
  };
}

// --- What a person sees -----------------------------------------------------------

/** A list row of the events API (EventSummary in shared/events-api/schemas.ts), as far as the CLI reads it. */
export interface EventRow {
  id: string;
  timestamp: string | null;
  platform: string | null;
  type: string | null;
  status: string;
  contact_id: string | null;
  execution_ids: string[];
  replay_of: string | null;
  replays: string[];
  last_error?: { consumer?: string; error?: string; attempt?: number } | null;
  rejection?: { reason?: string; detail?: string } | null;
}

/** `2026-04-01 12:00:03` (UTC, to the second): short enough for a table row. */
export const shortTime = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '-');

function why(row: EventRow): string {
  if (row.rejection?.reason) return `${row.rejection.reason}${row.rejection.detail ? `: ${row.rejection.detail}` : ''}`;
  if (row.last_error?.error) return `${row.last_error.consumer ?? ''} #${row.last_error.attempt ?? '?'}: ${row.last_error.error}`;
  return '';
}

function linked(row: EventRow): string {
  const parts = [
    ...(row.execution_ids.length ? [`exe ${row.execution_ids.join(',')}`] : []),
    ...(row.replay_of ? [`replay of ${row.replay_of}`] : []),
    ...(row.replays.length ? [`replayed ${row.replays.length}x`] : []),
  ];
  return parts.join('; ');
}

export function eventsTable(rows: readonly EventRow[]): string {
  if (!rows.length) return 'no events match';
  return table(
    ['TIME (UTC)', 'ID', 'PLATFORM', 'TYPE', 'STATUS', 'CONTACT', 'LINKED', 'WHY'],
    rows.map((r) => [shortTime(r.timestamp), r.id, r.platform ?? '-', r.type ?? '-', r.status, r.contact_id ?? '-', linked(r), why(r)]),
  );
}

/** One line per event, for `tail`. */
export function eventLine(r: EventRow): string {
  const extra = [linked(r), why(r)].filter(Boolean).join('  ');
  return `${shortTime(r.timestamp)}  ${r.id}  ${r.platform ?? '-'}  ${r.type ?? '-'}  ${r.status}${extra ? `  ${extra}` : ''}`;
}

/** One entry in full (EventDetail), for `show`: the facts first, then the envelope and the raw payload. */
export function eventDetail(d: Record<string, unknown>): string {
  const row = d as unknown as EventRow;
  const consumers = Object.entries((d.consumers as Record<string, { status?: string; attempt?: number; error?: string }>) ?? {});
  const raw = d.raw as { available?: boolean; payload?: unknown; note?: string } | undefined;
  const lines = [
    `${row.id}  ${row.type ?? '-'}  ${row.status}`,
    `  time       ${shortTime(row.timestamp)} (received ${shortTime(d.received_at as string | null)})`,
    `  platform   ${row.platform ?? '-'}  block ${String(d.block_id ?? '-')}  contact ${row.contact_id ?? '-'}`,
    ...consumers.map(
      ([name, c]) => `  ${name.padEnd(10)} ${c.status ?? '-'}${c.attempt ? ` (attempt ${c.attempt})` : ''}${c.error ? `: ${c.error}` : ''}`,
    ),
    ...(row.execution_ids.length ? [`  executions ${row.execution_ids.join(', ')}`] : []),
    ...(row.replay_of ? [`  replay of  ${row.replay_of}`] : []),
    ...(row.replays.length ? [`  replays    ${row.replays.join(', ')}`] : []),
    ...(why(row) ? [`  why        ${why(row)}`] : []),
    '',
    'envelope:',
    JSON.stringify(d.envelope ?? null, null, 2),
    '',
    raw?.available ? 'raw platform item:' : `raw platform item: not shown (${raw?.note ?? 'not available'})`,
    ...(raw?.available ? [typeof raw.payload === 'string' ? raw.payload : JSON.stringify(raw.payload, null, 2)] : []),
  ];
  return lines.join('\n');
}

export interface UnroutedRow {
  id: string;
  timestamp: string | null;
  platform: string | null;
  rejection: { reason?: string; detail?: string } | null;
  accounts: string[];
  replays: string[];
}

export function unroutedTable(rows: readonly UnroutedRow[]): string {
  if (!rows.length) return 'no unrouted entries match';
  return table(
    ['TIME (UTC)', 'ID', 'PLATFORM', 'REASON', 'ACCOUNTS', 'REPLAYS', 'DETAIL'],
    rows.map((r) => [
      shortTime(r.timestamp),
      r.id,
      r.platform ?? '-',
      r.rejection?.reason ?? '-',
      r.accounts.join(',') || '-',
      String(r.replays.length),
      r.rejection?.detail ?? '',
    ]),
  );
}

/** What POST /unrouted/{id}/replay answered (UnroutedReplayed), as the page's Replay button says it. */
export interface UnroutedReplayed {
  replayed: string;
  event_ids: string[];
  routed_to: Array<{ workspace_id: string; block_id: string | null }>;
  still_rejected: Array<{ reason?: string; detail?: string; path?: string }>;
}

/** `replayed rej_1: routed to ws_demo (Block blk_1) as evt_1`, and a line per item the normalizer still rejects. */
export function unroutedReplayLines(r: UnroutedReplayed): string {
  const to = r.routed_to.map((t) => `${t.workspace_id}${t.block_id ? ` (Block ${t.block_id})` : ''}`).join(', ');
  return [
    `replayed ${r.replayed}: routed to ${to || 'no workspace'} as ${r.event_ids.join(', ') || 'no new event'}`,
    ...r.still_rejected.map((x) => `  still rejected${x.path ? ` ${x.path}` : ''}: ${x.reason ?? '-'}${x.detail ? `: ${x.detail}` : ''}`),
  ].join('\n');
}

/** A replay job's progress (ReplayJob), e.g. `[##########..........]  10/20  replayed 9  failed 1  running`. */
export function progressBar(job: { done: number; total: number; replayed: number; failed: number; status: string }, width = 30): string {
  const filled = job.total ? Math.round((job.done / job.total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]  ${job.done}/${job.total}  replayed ${job.replayed}  failed ${job.failed}  ${job.status}`;
}

export function dryRunSummary(d: { matching: number; max_events: number; too_many: boolean; filter: Record<string, string> }): string {
  const filter = Object.entries(d.filter)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const what = `${d.too_many ? `more than ${d.max_events}` : d.matching} event(s) match ${filter || 'no filter (the whole log)'}`;
  return d.too_many ? `${what}: over the limit of ${d.max_events}; narrow the filter (e.g. --from/--to) and replay in parts` : what;
}

/** A problem answer (RFC 9457) in one line: `400 invalid_parameter: status must be one of ...`. */
export function problemLine(status: number, body: unknown): string {
  const p = (body ?? {}) as { code?: unknown; detail?: unknown };
  return typeof p.code === 'string' ? `${status} ${p.code}: ${String(p.detail ?? '')}` : `${status}: ${JSON.stringify(body).slice(0, 300)}`;
}
