/**
 * What each `npm run events` command does against the events API
 * (docs/events-api.md): its requests and what it prints. Output goes through
 * `io`, so the integration test runs commands against the API on the
 * emulators without a child process (test/scripts/events-cli.int.test.ts).
 * The token is sent as `Authorization: Bearer`, never printed.
 */
import {
  dryRunSummary,
  eventDetail,
  eventLine,
  eventsTable,
  problemLine,
  progressBar,
  unroutedReplayLines,
  unroutedTable,
  type EventRow,
  type EventsCli,
  type UnroutedReplayed,
  type UnroutedRow,
} from './events-cli';

export interface EventsIo {
  out(text: string): void;
  err(text: string): void;
  /** A line that replaces itself on a terminal (the progress bar); a plain line elsewhere. */
  progress(text: string): void;
  sleep(ms: number): Promise<void>;
  /** Ends `tail` (Ctrl-C ends the process anyway). */
  signal?: AbortSignal;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

type Call = (method: 'GET' | 'POST', path: string, body?: object, headers?: Record<string, string>) => Promise<Answer>;

export function apiClient(base: URL, token: string | undefined, fetchImpl: typeof fetch = fetch): Call {
  return async (method, path, body, headers = {}) => {
    const res = await fetchImpl(new URL(path, base), {
      method,
      headers: {
        ...headers,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
    } catch {
      return { status: res.status, body: { code: `http_${res.status}`, detail: text.slice(0, 300) } };
    }
  };
}

const FINISHED = new Set(['completed', 'completed_with_errors']);

/** Runs `cli` (already parsed, with a command); the process exit code: 0 done, 1 refused or failed. */
export async function runEvents(cli: EventsCli, call: Call, io: EventsIo): Promise<number> {
  const ws = `/workspaces/${encodeURIComponent(cli.workspace)}`;
  const refused = (a: Answer) => {
    if (cli.json) io.out(JSON.stringify(a.body, null, 2));
    io.err(problemLine(a.status, a.body));
    return 1;
  };
  const query = (extra: Record<string, string | number | undefined>) => {
    const params = new URLSearchParams(cli.filter);
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) params.set(k, String(v));
    const s = params.toString();
    return s ? `?${s}` : '';
  };

  if (cli.command === 'unrouted' && cli.id) return replayUnrouted(cli, call, io, refused);
  switch (cli.command) {
    case 'ls':
    case 'unrouted': {
      const path = cli.command === 'ls' ? `${ws}/events` : '/unrouted';
      const a = await call('GET', `${path}${query({ limit: cli.limit ?? 20, cursor: cli.cursor })}`);
      if (a.status !== 200) return refused(a);
      if (cli.json) io.out(JSON.stringify(a.body, null, 2));
      else {
        const items = a.body.items as unknown[];
        io.out(cli.command === 'ls' ? eventsTable(items as EventRow[]) : unroutedTable(items as UnroutedRow[]));
        if (a.body.next_cursor) io.out(`\nmore: add --cursor ${String(a.body.next_cursor)}`);
      }
      return 0;
    }
    case 'show': {
      const a = await call('GET', `${ws}/events/${encodeURIComponent(cli.id ?? '')}`);
      if (a.status !== 200) return refused(a);
      io.out(cli.json ? JSON.stringify(a.body, null, 2) : eventDetail(a.body));
      return 0;
    }
    case 'tail':
      return tail(cli, call, io, `${ws}/events`, query);
    case 'replay':
      return cli.id ? replayOne(cli, call, io, ws, refused) : replayMany(cli, call, io, ws, refused);
    default:
      throw new Error(`no command`);
  }
}

async function replayOne(cli: EventsCli, call: Call, io: EventsIo, ws: string, refused: (a: Answer) => number): Promise<number> {
  const headers: Record<string, string> = cli.key ? { 'Idempotency-Key': cli.key } : {};
  const a = await call('POST', `${ws}/events/${encodeURIComponent(cli.id ?? '')}/replay`, undefined, headers);
  if (a.status !== 202) return refused(a);
  if (cli.json) io.out(JSON.stringify(a.body, null, 2));
  else
    io.out(`replayed ${String(a.body.replay_of)} (${String(a.body.mode)}): ${(a.body.event_ids as string[]).join(', ') || 'no new event'}`);
  return 0;
}

async function replayUnrouted(cli: EventsCli, call: Call, io: EventsIo, refused: (a: Answer) => number): Promise<number> {
  const a = await call('POST', `/unrouted/${encodeURIComponent(cli.id ?? '')}/replay`);
  if (a.status !== 202) return refused(a);
  io.out(cli.json ? JSON.stringify(a.body, null, 2) : unroutedReplayLines(a.body as unknown as UnroutedReplayed));
  return 0;
}

async function replayMany(cli: EventsCli, call: Call, io: EventsIo, ws: string, refused: (a: Answer) => number): Promise<number> {
  const empty = Object.keys(cli.filter).length === 0;
  const body = { filter: cli.filter, ...(cli.max ? { max_events: cli.max } : {}) };
  // Always the count first: nothing is replayed without seeing how much, and --yes.
  const dry = await call('POST', `${ws}/replays`, { ...body, dry_run: true });
  if (dry.status !== 200) return refused(dry);
  const summary = dry.body as { matching: number; max_events: number; too_many: boolean; filter: Record<string, string> };
  if (cli.dryRun || !cli.yes || summary.too_many) {
    if (cli.json) io.out(JSON.stringify(dry.body, null, 2));
    else io.out(dryRunSummary(summary));
    if (summary.too_many) return 1;
    if (!cli.dryRun && !cli.json) io.out(`nothing replayed: add --yes to replay ${empty ? 'the whole log' : 'them'}`);
    return 0;
  }
  const headers: Record<string, string> = cli.key ? { 'Idempotency-Key': cli.key } : {};
  const posted = await call('POST', `${ws}/replays`, { ...body, ...(empty ? { confirm_all: true } : {}) }, headers);
  if (posted.status !== 202) return refused(posted);
  let job = posted.body as { job_id: string; status: string; done: number; total: number; replayed: number; failed: number };
  if (!cli.json) io.out(`job ${job.job_id}: ${dryRunSummary(summary)}`);
  while (!FINISHED.has(job.status)) {
    if (!cli.json) io.progress(progressBar(job));
    await io.sleep(1000);
    const a = await call('GET', `${ws}/replays/${encodeURIComponent(job.job_id)}`);
    if (a.status !== 200) return refused(a);
    job = a.body as typeof job;
  }
  if (cli.json) io.out(JSON.stringify(job, null, 2));
  else {
    io.progress(progressBar(job));
    io.out('');
    const results = (job as unknown as { results: Record<string, { reason?: string; error?: string }> }).results;
    for (const [id, r] of Object.entries(results)) if (r.reason) io.out(`  ${id}  ${r.reason}: ${r.error ?? ''}`);
  }
  return job.status === 'completed' ? 0 : 1;
}

/** Polls the newest page and prints the events it has not printed yet, oldest first, until `io.signal` aborts. */
async function tail(
  cli: EventsCli,
  call: Call,
  io: EventsIo,
  path: string,
  query: (extra: Record<string, string | number | undefined>) => string,
): Promise<number> {
  const seen = new Set<string>();
  let first = true;
  while (!io.signal?.aborted) {
    const a = await call('GET', `${path}${query({ limit: first ? (cli.limit ?? 10) : 100 })}`);
    if (a.status !== 200) {
      io.err(problemLine(a.status, a.body));
      return 1;
    }
    const rows = (a.body.items as EventRow[]).filter((r) => !seen.has(r.id)).reverse();
    for (const r of rows) {
      seen.add(r.id);
      io.out(cli.json ? JSON.stringify(r) : eventLine(r));
    }
    first = false;
    if (io.signal?.aborted) break;
    await io.sleep(cli.intervalSeconds * 1000);
  }
  return 0;
}
