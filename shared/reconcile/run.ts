/**
 * One reconciliation run: every raw message (an acknowledged webhook body,
 * `raw_messages`) older than the stated age and not yet settled is run
 * through the current normalizer, publishing nothing, to know which log
 * entries it should have (expected.ts). What the log lacks is replayed with
 * the normalizer's own ids: missing envelopes are published to `events` (so
 * contacts, triggers and the log get them as if the normalizer had), missing
 * rejections are written by the log's own entry builder. Consumers dedupe by
 * id, so a message that was only late, or replayed twice, has no second effect.
 *
 * One message's trouble is that message's result: whatever fails for it
 * (routing unavailable, a publish or a Firestore write) makes it `deferred`,
 * tried again next run with the same ids; the run goes on. Every message found
 * missing logs one WARNING line (`outcome: "reconciled"`, the alert's metric)
 * and gets a record the events API lists (store.ts).
 *
 * Bodies go through in waves of half the configured concurrency (or fewer
 * bodies, up to RECONCILE_WAVE_BYTES of them), two waves
 * at once (one normalizes and reads while the other writes): each wave's
 * expected entries are read together (expected.ts), and its settlements
 * written together, each write failing alone (store.ts applyRawUpdates).
 * What is rare (a replay, a record) is still done body by body.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Timestamp, type Firestore, type QueryDocumentSnapshot } from '@google-cloud/firestore';
import type { EnvelopePublisher } from '../envelope/publish';
import { fromRejected } from '../event-log/entry';
import { rawBody, type StoredRawMessage } from '../event-log/raw-store';
import { writeEntry } from '../event-log/writer';
import type { Logger } from '../runtime/log';
import type { ReconcileConfig } from './config';
import { missingEntriesOf, type Missing, type NormalizeOutput } from './expected';
import { MESSAGE_OUTCOMES, type MessageOutcome, type RunSummary } from './shapes';
import { pendingStream } from './pending';
import { applyRawUpdates, attemptUpdate, markRecovered, saveRecord, settledUpdate, type RawUpdate } from './store';

export interface ReconcileDeps {
  db: Firestore;
  publisher: EnvelopePublisher;
  /** The normalizer's pure entry point (routes with the Block registry, publishes nothing). */
  normalize: (raw: { data: Buffer; attributes: Record<string, string> }) => Promise<NormalizeOutput>;
  log: Logger;
  now: () => Date;
  retentionDays: number;
  /** Milliseconds on a monotonic clock, for the run's time budget (default performance.now). */
  clock?: () => number;
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
const distinct = (values: Iterable<string>) => [...new Set(values)].sort();

export async function reconcileOnce(deps: ReconcileDeps, config: ReconcileConfig): Promise<RunSummary> {
  const started = deps.now();
  const cutoff = new Date(started.getTime() - config.minAgeSeconds * 1000);
  const summary: RunSummary = {
    run_id: randomUUID(),
    started_at: started.toISOString(),
    cutoff: cutoff.toISOString(),
    min_age_seconds: config.minAgeSeconds,
    checked: 0,
    outcomes: Object.fromEntries(MESSAGE_OUTCOMES.map((o) => [o, 0])) as RunSummary['outcomes'],
    found: 0,
    events_published: 0,
    rejections_written: 0,
    more: false,
  };
  const log = deps.log.child({ run_id: summary.run_id });

  // Every shard's pending bodies (and the unsharded ones), merged oldest first (pending.ts).
  // Its read-ahead is sized from what the run works on at once, not from its budget (memory: pending.ts).
  const pending = pendingStream(deps.db, cutoff, Math.min(config.maxMessages, config.concurrency), config.waveBytes);
  const wave = Math.max(1, Math.ceil(config.concurrency / 2));
  const inFlight: Array<Promise<void>> = [];
  const clock = deps.clock ?? (() => performance.now());
  const stopAt = clock() + config.maxSeconds * 1000;
  let waves = 0;
  try {
    while (summary.checked < config.maxMessages && clock() < stopAt) {
      // A wave closes at its count or its bytes, whichever comes first (one body at least).
      const docs = await pending.next(Math.min(wave, config.maxMessages - summary.checked), config.waveBytes);
      if (!docs.length) break;
      summary.checked += docs.length;
      waves++;
      inFlight.push(
        reconcileWave(deps, config, docs, log, summary).then((outcomes) => {
          for (const outcome of outcomes) summary.outcomes[outcome]++;
        }),
      );
      if (inFlight.length >= 2) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } finally {
    // A failed read fails the run only once its waves are done: answering while they still publish and
    // write would let the scheduler's retry start a second run over the same bodies.
    await Promise.allSettled(inFlight);
  }
  try {
    summary.more = await pending.more();
  } catch (err) {
    // Only a look ahead after all the work: the run's summary stands, and the next run reads on.
    log.warn('could not tell whether bodies are left; saying there are', { outcome: 'reconciliation_more_unknown', error: err });
    summary.more = true;
  }
  if (pending.skipped.length) {
    // A deploy ahead of its index (docs/operations.md#reconciliation): the other lanes were reconciled, these wait.
    log.warn('reconciliation lanes skipped: their index is not ready', { outcome: 'reconciliation_lanes_skipped', lanes: pending.skipped });
    summary.more = true;
  }
  summary.found = summary.outcomes.replayed + summary.outcomes.unresolved;
  // `unsharded`: bodies stored before sharding, read through the old index; store.ts says when it can go.
  // `waves`: more than checked / (concurrency / 2) means waves closed at RECONCILE_WAVE_BYTES (large bodies).
  log[summary.found > 0 ? 'warn' : 'info']('reconciliation run finished', {
    outcome: 'reconciliation_run',
    ...summary,
    unsharded: pending.unsharded,
    waves,
  });
  return summary;
}

/** What one body's judgement comes to: its outcome, which stands once `update` (if any) is written to the body. */
interface Judged {
  outcome: MessageOutcome;
  update?: Record<string, unknown>;
}

/** A wave of bodies: normalized, their entries read at once, judged, and their updates written at once. */
async function reconcileWave(
  deps: ReconcileDeps,
  config: ReconcileConfig,
  docs: QueryDocumentSnapshot[],
  runLog: Logger,
  summary: RunSummary,
): Promise<MessageOutcome[]> {
  const items = docs.map((doc) => {
    const raw = doc.data() as StoredRawMessage;
    return { doc, raw, log: runLog.child({ raw_id: doc.id, request_id: raw.request_id, platform: raw.platform }) };
  });
  // Routing, Pub/Sub or Firestore unavailable: the message stays pending, and the next run repeats it with the same ids.
  const deferred = (log: Logger, err: unknown): Judged => {
    log.warn('raw message not reconciled in this run; the next run tries again', { outcome: 'deferred', error: err });
    return { outcome: 'deferred' };
  };

  const outputs = await Promise.all(
    items.map(async ({ raw }) => {
      const body = rawBody(raw);
      if (!body) return undefined;
      try {
        return await deps.normalize({ data: body, attributes: raw.attributes });
      } catch (err) {
        return asError(err);
      }
    }),
  );
  const normalized = items.flatMap((item, i) => {
    const out = outputs[i];
    return out && !(out instanceof Error) ? [{ ...item, out }] : [];
  });
  let missing: Missing[] | Error;
  try {
    missing = await missingEntriesOf(deps.db, normalized);
  } catch (err) {
    missing = asError(err);
  }
  const missingOf = new Map(normalized.map((n, i) => [n.doc.id, missing instanceof Error ? missing : missing[i]!]));

  const judged = await Promise.all(
    items.map(async ({ doc, raw, log }, i): Promise<Judged> => {
      const out = outputs[i];
      if (out instanceof Error) return deferred(log, out);
      const found = missingOf.get(doc.id);
      if (found instanceof Error) return deferred(log, found);
      try {
        return await judge(deps, config, doc, raw, found, log, summary);
      } catch (err) {
        return deferred(log, err);
      }
    }),
  );

  const writes: Array<RawUpdate & { at: number }> = judged.flatMap((j, at) =>
    j.update ? [{ ref: docs[at]!.ref, data: j.update, at }] : [],
  );
  let errors: Array<Error | undefined>;
  try {
    errors = await applyRawUpdates(
      deps.db,
      writes.map(({ ref, data }) => ({ ref, data })),
    );
  } catch (err) {
    errors = writes.map(() => asError(err));
  }
  writes.forEach(({ at }, w) => {
    if (errors[w]) judged[at] = deferred(items[at]!.log, errors[w]);
  });
  return judged.map((j) => j.outcome);
}

/**
 * What one raw message's outcome is, with its replay and record done and the
 * update of the body that settles it (or counts the replay) to write; throws
 * when any step fails. `missing` is undefined when the body was not kept.
 */
async function judge(
  deps: ReconcileDeps,
  config: ReconcileConfig,
  doc: QueryDocumentSnapshot,
  raw: StoredRawMessage,
  missing: Missing | undefined,
  log: Logger,
  summary: RunSummary,
): Promise<Judged> {
  const rawId = doc.id;
  const attempts = raw.reconcile_attempts ?? 0;
  const now = deps.now();
  const base = {
    raw_id: rawId,
    platform: raw.platform,
    request_id: raw.request_id,
    received_at: raw.received_at,
    checked_at: Timestamp.fromDate(now),
    attempts,
  };

  if (!missing) {
    // Kept only up to MAX_RAW_BODY_BYTES: what it should have made cannot be known. Listed, not alerted.
    const detail = `the body (${raw.size} bytes) was too large to keep, so it cannot be normalized again to check it`;
    log.warn('raw message cannot be reconciled: body not kept', { outcome: 'unverifiable', size: raw.size });
    await saveRecord(deps.db, { ...base, ...emptyFinding(raw), status: 'unverifiable', detail }, now, deps.retentionDays);
    return { outcome: 'unverifiable', update: settledUpdate('unverifiable', now) };
  }

  const lacking = missing.envelopes.length + missing.rejections.length;
  if (lacking === 0) {
    if (attempts === 0) return { outcome: 'logged', update: settledUpdate('logged', now) };
    // The record first: should the body's update fail, the next run finds it complete again and settles it.
    await markRecovered(deps.db, rawId, now);
    log.info('replayed webhook reached the event log', { outcome: 'recovered', attempts });
    return { outcome: 'recovered', update: settledUpdate('recovered', now) };
  }

  const workspace_ids = distinct([
    ...missing.envelopes.map((e) => e.workspace_id),
    ...missing.rejections.flatMap((r) => (r.workspace_id ? [r.workspace_id] : [])),
  ]);
  const finding = {
    ...base,
    workspace_ids,
    expected: missing.expected,
    missing_events: missing.envelopes.length,
    missing_rejections: missing.rejections.length,
  };
  if (attempts >= config.maxAttempts) {
    const detail = `still missing ${lacking} of ${missing.expected} log entries after ${attempts} replays`;
    log.error('acknowledged webhook still missing from the event log: given up', { outcome: 'unresolved', ...counts(missing) });
    await saveRecord(
      deps.db,
      { ...finding, replayed_event_ids: [], written_rejection_ids: [], status: 'unresolved', detail },
      now,
      deps.retentionDays,
    );
    return { outcome: 'unresolved', update: settledUpdate('unresolved', now) };
  }

  const opts = { now, retentionDays: deps.retentionDays };
  await Promise.all([
    ...missing.envelopes.map((e) => deps.publisher.publish(e)),
    ...missing.rejections.map((r) => writeEntry(deps.db, fromRejected(r, opts), 'rejected')),
  ]);
  summary.events_published += missing.envelopes.length;
  summary.rejections_written += missing.rejections.length;
  const detail = `missing ${lacking} of ${missing.expected} log entries; replayed through the current normalizer with its own ids`;
  log.warn('acknowledged webhook missing from the event log: replayed', {
    outcome: 'reconciled',
    ...counts(missing),
    event_ids: missing.envelopes.slice(0, 20).map((e) => e.id),
  });
  await saveRecord(
    deps.db,
    {
      ...finding,
      attempts: attempts + 1,
      replayed_event_ids: missing.envelopes.map((e) => e.id),
      written_rejection_ids: missing.rejections.map((r) => r.id),
      status: 'replayed',
      detail,
    },
    now,
    deps.retentionDays,
  );
  return { outcome: 'replayed', update: attemptUpdate(attempts + 1) };
}

const counts = (m: Missing) => ({ expected: m.expected, missing_events: m.envelopes.length, missing_rejections: m.rejections.length });

function emptyFinding(raw: StoredRawMessage) {
  return {
    workspace_ids: raw.workspace_id ? [raw.workspace_id] : [],
    expected: 0,
    missing_events: 0,
    missing_rejections: 0,
    replayed_event_ids: [],
    written_rejection_ids: [],
  };
}
