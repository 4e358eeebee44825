/**
 * Bulk replay: every entry matching a filter, at most MAX_REPLAY_EVENTS, as a
 * job at `workspaces/{ws}/replay_jobs/{job}`. The request only creates the
 * job (`queued`, with the matching ids fixed then) and publishes a job
 * message; the message's push subscription delivers it back to this function
 * (POST /projects/{p}/topics/{t}), which runs the job and stores its progress
 * as it goes, so GET /replays/{job} shows where it is and how it ended. No
 * work runs after an answer (Cloud Run throttles the CPU then): a run is a
 * request of its own, retried by Pub/Sub if it fails.
 *
 *   POST /replays ──create──> queued ──publish──> push ──run──> running ──> completed[_with_errors]
 *
 * Whatever goes wrong with one entry (it cannot be replayed, its publish
 * failed) is that entry's result, with the reason, and the job goes on: one
 * entry never stops the others. A run cut off (a crash, a timeout, a failure
 * to save progress) leaves the job `running` and its message unacked, so it is
 * delivered again and the run resumes, skipping entries already done and
 * republishing nothing twice (replay ids derive from the job id; consumers
 * dedupe). Posting again with the same Idempotency-Key is the same job; it
 * publishes the job message again only when a run has something to do that no
 * run is doing (needsPublish): a job still `queued` (its message may never have
 * been published), entries that failed for a reason that may pass, or a
 * running job with no progress for STALE_JOB_MS.
 */
import { randomUUID } from 'node:crypto';
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { isAlreadyExists } from '../runtime/firestore-codes';
import { hashId } from '../envelope/ids';
import { eventLogRef } from '../event-log/outcomes';
import { expiryAfter } from '../event-log/config';
import type { Logger } from '../runtime/log';
import { describeFilter, type ListFilter } from './filters';
import { ApiError, badRequest } from './http';
import { listPage, MAX_LIMIT } from './query';
import { replayEntry, type ReplayDeps, type ReplayOutcome } from './replay';
import { JOB_STATUSES } from './schemas';

export { MAX_REPLAY_EVENTS } from './schemas';
const PROGRESS_EVERY = 25;

export type JobStatus = (typeof JOB_STATUSES)[number];

/** What the job topic carries: which job to run. */
export interface JobMessage {
  workspace_id: string;
  job_id: string;
}

export interface ReplayJob {
  job_id: string;
  workspace_id: string;
  filter: Record<string, string>;
  status: JobStatus;
  total: number;
  event_ids: string[];
  done: number;
  replayed: number;
  failed: number;
  /** event id -> the new event ids, or why it could not be replayed. */
  results: Record<string, EntryResult>;
  created_at: string;
  updated_at: string;
  expire_at: Timestamp;
}

/**
 * One entry's outcome. `reason` is the API error code (not_found,
 * not_replayable, not_publishable: final) or REPLAY_FAILED for anything else
 * (a Pub/Sub or Firestore error on this entry: it may pass, so posting the job
 * again with the same Idempotency-Key retries those entries; see runReplayJob).
 */
export type EntryResult = { event_ids: string[]; mode: ReplayOutcome['mode'] } | { error: string; reason: string };

const REPLAY_FAILED = 'replay_failed';

export function jobRef(db: Firestore, workspaceId: string, jobId: string) {
  return db.collection('workspaces').doc(workspaceId).collection('replay_jobs').doc(jobId);
}

export function newJobId(workspaceId: string, key: string | undefined): string {
  return hashId('rpl', [workspaceId, key ?? randomUUID()]);
}

export async function matchingIds(db: Firestore, workspaceId: string, filter: ListFilter, max: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await listPage(db, workspaceId, filter, Math.min(MAX_LIMIT, max + 1 - ids.length), cursor);
    ids.push(...page.docs.map((d) => d.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor && ids.length <= max);
  return ids;
}

export interface StartJob {
  workspaceId: string;
  jobId: string;
  filter: ListFilter;
  max: number;
  retentionDays: number;
  now: Date;
}

/** The job as stored, created `queued` from `start` unless it exists; `created` says whether this call created it. */
export async function openJob(db: Firestore, start: StartJob): Promise<{ job: ReplayJob; created: boolean }> {
  const ref = jobRef(db, start.workspaceId, start.jobId);
  const existing = await ref.get();
  if (existing.exists) return { job: existing.data() as ReplayJob, created: false };
  const ids = await matchingIds(db, start.workspaceId, start.filter, start.max);
  if (ids.length > start.max) {
    throw badRequest(
      'too_many_events',
      `more than ${start.max} events match; narrow the filter (e.g. a shorter from/to range) and replay in parts`,
    );
  }
  const job: ReplayJob = {
    job_id: start.jobId,
    workspace_id: start.workspaceId,
    filter: describeFilter(start.filter),
    status: 'queued',
    total: ids.length,
    event_ids: ids,
    done: 0,
    replayed: 0,
    failed: 0,
    results: {},
    created_at: start.now.toISOString(),
    updated_at: start.now.toISOString(),
    expire_at: Timestamp.fromDate(expiryAfter(start.now, start.retentionDays)),
  };
  try {
    await ref.create(job);
    return { job, created: true };
  } catch (err) {
    // The same key posted twice at once: the other request created the job (with its own matching ids, which win).
    if (!isAlreadyExists(err)) throw err;
    const winner = await ref.get();
    return { job: winner.data() as ReplayJob, created: false };
  }
}

async function replayOne(deps: ReplayDeps, workspaceId: string, id: string, jobId: string, log?: Logger): Promise<EntryResult> {
  try {
    const doc = await eventLogRef(deps.db, workspaceId, id).get();
    if (!doc.exists) throw new ApiError(404, 'not_found', 'the event has expired or was removed');
    const outcome = await replayEntry(deps, workspaceId, doc, jobId);
    return { event_ids: outcome.event_ids, mode: outcome.mode };
  } catch (err) {
    if (err instanceof ApiError) return { error: err.message, reason: err.code };
    log?.error('replay of a job entry failed', { job_id: jobId, event_id: id, error: err });
    return { error: err instanceof Error ? err.message : String(err), reason: REPLAY_FAILED };
  }
}

/** An entry whose replay failed for a reason that may pass (Pub/Sub or Firestore unavailable). */
function retryable(result: EntryResult | undefined): boolean {
  return result !== undefined && 'reason' in result && result.reason === REPLAY_FAILED;
}

/**
 * How long a running job may go without saving progress before a post of its
 * key publishes it again: longer than a run may hold its message (the
 * subscription's 600 s ack deadline), so a job running now is not run twice,
 * while one whose run died for good gets another.
 */
export const STALE_JOB_MS = 15 * 60 * 1000;

/**
 * Whether a post that found (or created) `job` publishes its message: new or
 * still queued (no run has started: the message may have failed to publish, or
 * the poster crashed before publishing; a second message only runs it twice,
 * which replays nothing twice), stalled, or with entries worth retrying.
 */
export function needsPublish(job: ReplayJob, created: boolean, now: Date): boolean {
  if (created || job.status === 'queued') return true;
  if (job.status === 'running') return now.getTime() - Date.parse(job.updated_at) > STALE_JOB_MS;
  return job.event_ids.some((id) => retryable(job.results[id]));
}

/** Whether a run of `job` has anything to do: it has not finished, or some entries failed for a reason that may pass. */
export function hasWorkLeft(job: ReplayJob): boolean {
  return job.status === 'queued' || job.status === 'running' || job.event_ids.some((id) => retryable(job.results[id]));
}

/**
 * Runs (or resumes) the stored job to the end; returns the final job, or
 * undefined when there is no such job. A finished job retries its
 * REPLAY_FAILED entries, so replaying after an outage is "post the same job
 * again" until nothing transient is left; its final results (replayed,
 * not_found, not_publishable...) stand.
 */
export async function runReplayJob(deps: ReplayDeps, workspaceId: string, jobId: string, log?: Logger): Promise<ReplayJob | undefined> {
  const ref = jobRef(deps.db, workspaceId, jobId);
  const snap = await ref.get();
  if (!snap.exists) return undefined;
  const job = snap.data() as ReplayJob;
  if (!hasWorkLeft(job)) return job;
  for (const id of job.event_ids.filter((id) => retryable(job.results[id]))) {
    delete job.results[id];
    job.failed -= 1;
    job.done -= 1;
  }
  job.status = 'running';

  const save = async () => {
    job.updated_at = new Date().toISOString();
    await ref.set(job);
  };
  await save();
  for (const id of job.event_ids) {
    if (job.results[id]) continue;
    const result = await replayOne(deps, workspaceId, id, jobId, log);
    if ('error' in result) job.failed += 1;
    else job.replayed += 1;
    job.results[id] = result;
    job.done += 1;
    if (job.done % PROGRESS_EVERY === 0) await save();
  }
  job.status = job.failed ? 'completed_with_errors' : 'completed';
  await save();
  return job;
}

export function presentJob(job: ReplayJob): Record<string, unknown> {
  const { expire_at, event_ids: _ids, ...rest } = job;
  return { ...rest, expire_at: expire_at.toDate().toISOString() };
}
