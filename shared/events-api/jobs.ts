/**
 * Bulk replay: every entry matching a filter, at most MAX_REPLAY_EVENTS, as a
 * job at `workspaces/{ws}/replay_jobs/{job}`. The job runs inside the request
 * (a bounded set fits the function's timeout) and stores its progress as it
 * goes, so GET /replays/{job} shows where it is and how it ended.
 *
 * The matching ids are fixed when the job starts (replays that arrive during
 * the job are not replayed again). A job interrupted by a crash or timeout
 * stays `running`; posting again with the same Idempotency-Key resumes it,
 * skipping entries already done, and republishing nothing twice (replay ids
 * derive from the job id; consumers dedupe).
 */
import { randomUUID } from 'node:crypto';
import { Timestamp, type Firestore } from '@google-cloud/firestore';
import { hashId } from '../envelope/ids';
import { eventLogRef } from '../event-log/outcomes';
import { expiryAfter } from '../event-log/config';
import { describeFilter, type ListFilter } from './filters';
import { ApiError, badRequest } from './http';
import { listPage, MAX_LIMIT } from './query';
import { replayEntry, type ReplayDeps, type ReplayOutcome } from './replay';

export const MAX_REPLAY_EVENTS = 500;
const PROGRESS_EVERY = 25;

export type JobStatus = 'running' | 'completed' | 'completed_with_errors';

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
  results: Record<string, { event_ids?: string[]; mode?: string; error?: string }>;
  created_at: string;
  updated_at: string;
  expire_at: Timestamp;
}

export function jobRef(db: Firestore, workspaceId: string, jobId: string) {
  return db.collection('workspaces').doc(workspaceId).collection('replay_jobs').doc(jobId);
}

export function newJobId(workspaceId: string, key: string | undefined): string {
  return hashId('rpl', [workspaceId, key ?? randomUUID()]);
}

async function matchingIds(db: Firestore, workspaceId: string, filter: ListFilter, max: number): Promise<string[]> {
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

/** Creates (or resumes) the job and runs it to the end; returns the final job. */
export async function runReplayJob(deps: ReplayDeps, start: StartJob): Promise<{ job: ReplayJob; created: boolean }> {
  const { db } = deps;
  const ref = jobRef(db, start.workspaceId, start.jobId);
  const existing = await ref.get();
  let job: ReplayJob;
  let created = false;
  if (existing.exists) {
    job = existing.data() as ReplayJob;
    if (job.status !== 'running') return { job, created };
  } else {
    const ids = await matchingIds(db, start.workspaceId, start.filter, start.max);
    if (ids.length > start.max) {
      throw badRequest('too_many_events', `more than ${start.max} events match; narrow the filter (e.g. a shorter from/to range) and replay in parts`);
    }
    job = {
      job_id: start.jobId,
      workspace_id: start.workspaceId,
      filter: describeFilter(start.filter),
      status: 'running',
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
    await ref.create(job);
    created = true;
  }

  const save = async () => {
    job.updated_at = new Date().toISOString();
    await ref.set(job);
  };
  for (const id of job.event_ids) {
    if (job.results[id]) continue;
    let result: ReplayJob['results'][string];
    try {
      const doc = await eventLogRef(db, start.workspaceId, id).get();
      if (!doc.exists) throw new ApiError(404, 'not_found', 'the event has expired or was removed');
      const outcome: ReplayOutcome = await replayEntry(deps, start.workspaceId, doc, start.jobId);
      result = { event_ids: outcome.event_ids, mode: outcome.mode };
      job.replayed += 1;
    } catch (err) {
      // An entry that cannot be replayed is reported, not fatal; anything else (Pub/Sub, Firestore down) stops the job, resumable.
      if (!(err instanceof ApiError)) {
        await save();
        throw err;
      }
      result = { error: err.message };
      job.failed += 1;
    }
    job.results[id] = result;
    job.done += 1;
    if (job.done % PROGRESS_EVERY === 0) await save();
  }
  job.status = job.failed ? 'completed_with_errors' : 'completed';
  await save();
  return { job, created };
}

export function presentJob(job: ReplayJob): Record<string, unknown> {
  const { expire_at, event_ids: _ids, ...rest } = job;
  return { ...rest, expire_at: expire_at.toDate().toISOString() };
}
