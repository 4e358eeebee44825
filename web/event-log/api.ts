/**
 * The page's only door to the events API: every request, every answer shape
 * and every error goes through here, so a change of the API's wire shapes is
 * a change of this file alone. Lists are `{items, next_cursor}`, errors RFC
 * 9457 problem+json (what a proxy or Google's front end answers instead, an
 * HTML 401 or 502, becomes a problem of its status line).
 */

export type Filter = Record<string, string>;

export interface ConsumerOutcome {
  status: string;
  attempt?: number;
  error?: string;
  at?: string;
}

/** The latest failing report (a string in entries the writer failed itself). */
export type LastError = { consumer?: string; error?: string | null; attempt?: number; at?: string } | string;

export interface EventRow {
  id: string;
  kind?: string;
  timestamp: string | null;
  received_at?: string | null;
  platform: string | null;
  type: string | null;
  status: string;
  block_id: string | null;
  contact_id: string | null;
  source?: string | null;
  execution_ids: string[];
  replay_of: string | null;
  replays: string[];
  last_error?: LastError | null;
  rejection?: { reason?: string; detail?: string; path?: string } | null;
  consumers: Record<string, ConsumerOutcome>;
}

export interface EventDetail extends EventRow {
  envelope: unknown;
  raw: { available: boolean; payload?: unknown; truncated?: boolean; note?: string };
  last_error: LastError | null;
  request_id?: string | null;
  logged_at?: string | null;
}

export interface UnroutedRow {
  id: string;
  timestamp: string | null;
  platform: string | null;
  status?: string | null;
  rejection: { reason?: string; detail?: string; path?: string } | null;
  accounts: string[];
  replays: string[];
  routed_to: { workspace_id?: string; block_id?: string }[];
  replayed_at: string | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface ReplayOne {
  replay_of?: string;
  mode?: string;
  event_ids: string[];
}

export interface DryRun {
  dry_run: true;
  matching: number;
  max_events: number;
  too_many: boolean;
  filter: Filter;
}

export interface ReplayJob {
  job_id: string;
  workspace_id: string;
  status: string;
  filter: Filter;
  total: number;
  done: number;
  replayed: number;
  failed: number;
  results: Record<string, { event_ids?: string[]; error?: string; reason?: string }>;
}

export const JOB_FINISHED = new Set(['completed', 'completed_with_errors']);

/** An API answer that is not a success, read from problem+json (or the older error body). */
export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly requestId: string | null,
  ) {
    super(`${title}: ${detail}`);
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

async function problemFrom(res: Response): Promise<ApiProblem> {
  let body: Record<string, unknown> = {};
  try {
    body = (await res.json()) as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's page, say): the status line is all there is.
  }
  const code = str(body.code) ?? `http_${res.status}`;
  const title = str(body.title) ?? (res.statusText || code);
  const detail = str(body.detail) ?? '';
  const requestId = str(body.request_id) ?? res.headers.get('x-request-id');
  return new ApiProblem(res.status, code, title, detail, requestId);
}

export interface ApiClient {
  listEvents(ws: string, filter: Filter, cursor?: string, limit?: number): Promise<Page<EventRow>>;
  getEvent(ws: string, id: string): Promise<EventDetail>;
  replayEvent(ws: string, id: string, idempotencyKey: string): Promise<ReplayOne>;
  dryRun(ws: string, filter: Filter): Promise<DryRun>;
  startReplay(ws: string, filter: Filter, confirmAll: boolean, idempotencyKey: string): Promise<ReplayJob>;
  getJob(ws: string, jobId: string): Promise<ReplayJob>;
  listUnrouted(filter: Filter, cursor?: string): Promise<Page<UnroutedRow>>;
  replayUnrouted(id: string): Promise<{ event_ids: string[]; routed_to: { workspace_id?: string; block_id?: string }[] }>;
}

/** `base` is the API's root URL (the page is served there too). */
export function createApiClient(base: string, fetcher: typeof fetch = (...a) => fetch(...a)): ApiClient {
  const url = (path: string, query: Filter = {}) => {
    const u = new URL(path.replace(/^\//, ''), base);
    for (const [k, v] of Object.entries(query)) if (v !== '') u.searchParams.set(k, v);
    return u.toString();
  };
  const seg = encodeURIComponent;

  async function call<T>(method: 'GET' | 'POST', href: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetcher(href, {
      method,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw await problemFrom(res);
    return (await res.json()) as T;
  }

  return {
    listEvents: (ws, filter, cursor, limit = 50) =>
      call('GET', url(`workspaces/${seg(ws)}/events`, { ...filter, limit: String(limit), ...(cursor ? { cursor } : {}) })),
    getEvent: (ws, id) => call('GET', url(`workspaces/${seg(ws)}/events/${seg(id)}`)),
    replayEvent: (ws, id, key) =>
      call('POST', url(`workspaces/${seg(ws)}/events/${seg(id)}/replay`), undefined, { 'Idempotency-Key': key }),
    dryRun: (ws, filter) => call('POST', url(`workspaces/${seg(ws)}/replays`), { filter, dry_run: true }),
    startReplay: (ws, filter, confirmAll, key) =>
      call(
        'POST',
        url(`workspaces/${seg(ws)}/replays`),
        { filter, ...(confirmAll ? { confirm_all: true } : {}) },
        { 'Idempotency-Key': key },
      ),
    getJob: (ws, jobId) => call('GET', url(`workspaces/${seg(ws)}/replays/${seg(jobId)}`)),
    listUnrouted: (filter, cursor) => call('GET', url('unrouted', { ...filter, limit: '50', ...(cursor ? { cursor } : {}) })),
    replayUnrouted: (id) => call('POST', url(`unrouted/${seg(id)}/replay`)),
  };
}
