/**
 * `npm run reconcile`'s call, shared with `npm run chaos`: one reconciliation
 * run through the events API (POST /reconciliations, what Cloud Scheduler
 * posts in production), and a few lines saying what it did.
 */
import type { ReconciliationFinding as Finding, RunSummary } from '../../shared/reconcile/shapes';
export type { Finding, RunSummary };

export class ReconcileCallError extends Error {
  override readonly name = 'ReconcileCallError';
}

function headers(token: string | undefined): Record<string, string> {
  return { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
}

/** fetch, with a failure to connect said in one line (the local stack not running, usually). */
async function call(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new ReconcileCallError(`could not reach ${url} (${cause}); is the stack running (npm start), or is --url right?`);
  }
}

async function answer<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new ReconcileCallError(`${what} answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** One run; `minAgeSeconds` overrides the events API's RECONCILE_MIN_AGE_SECONDS for it. */
export async function runReconciliation(
  baseUrl: string,
  options: { minAgeSeconds?: number; maxMessages?: number; token?: string } = {},
): Promise<RunSummary> {
  const body = {
    ...(options.minAgeSeconds !== undefined ? { min_age_seconds: options.minAgeSeconds } : {}),
    ...(options.maxMessages !== undefined ? { max_messages: options.maxMessages } : {}),
  };
  const url = `${baseUrl.replace(/\/$/, '')}/reconciliations`;
  const res = await call(url, { method: 'POST', headers: headers(options.token), body: JSON.stringify(body) });
  return answer<RunSummary>(res, `POST ${url}`);
}

/** The newest findings (one page). */
export async function listFindings(baseUrl: string, limit: number, token?: string): Promise<Finding[]> {
  const url = `${baseUrl.replace(/\/$/, '')}/reconciliations?limit=${limit}`;
  return (await answer<{ items: Finding[] }>(await call(url, { headers: headers(token) }), `GET ${url}`)).items;
}

export function describeRun(s: RunSummary): string {
  const o = s.outcomes;
  const lines = [
    `Reconciliation run ${s.run_id}: looked at ${s.checked} stored webhook bodies received before ${s.cutoff} (older than ${s.min_age_seconds} s).`,
    `  reached the log by themselves: ${o.logged}; replayed earlier and now in the log: ${o.recovered}`,
    `  found missing entries and replayed: ${o.replayed} (${s.events_published} events published, ${s.rejections_written} rejections written)`,
  ];
  if (o.unresolved) lines.push(`  given up after every replay (unresolved): ${o.unresolved}`);
  if (o.unverifiable) lines.push(`  body too large to keep, not checkable: ${o.unverifiable}`);
  if (o.deferred) lines.push(`  left for the next run (routing or Firestore unavailable): ${o.deferred}`);
  if (s.more) lines.push('  more bodies are waiting: run it again (at most RECONCILE_MAX_MESSAGES per run).');
  return lines.join('\n');
}

export function describeFinding(f: Finding): string {
  const where = f.workspace_ids.length ? f.workspace_ids.join(',') : 'unrouted';
  return `  ${f.found_at}  ${f.status.padEnd(12)} ${f.platform.padEnd(9)} request ${f.request_id}  ${where}  missing ${f.missing_events} events, ${f.missing_rejections} rejections of ${f.expected}`;
}
