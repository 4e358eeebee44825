/**
 * Reconciliation's shapes, once, as TypeBox: what a run answers (RunSummary),
 * what it stores per acknowledged webhook found missing from the log
 * (ReconciliationRecord, `reconciliations/{raw id}`), and how the events API
 * presents that record (ReconciliationFinding). Here, not in the events API,
 * because the run and its store use them too; the events API imports them for
 * its routes and its OpenAPI document.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Timestamp } from '@google-cloud/firestore';

/** One raw message's result in a run. */
export const MESSAGE_OUTCOMES = ['logged', 'recovered', 'replayed', 'unresolved', 'unverifiable', 'deferred'] as const;
export type MessageOutcome = (typeof MESSAGE_OUTCOMES)[number];

/** What became of a webhook found missing: replayed (and checked again next run), and how that ended. */
export const RECORD_STATUSES = ['replayed', 'recovered', 'unresolved', 'unverifiable'] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];

const Count = (description: string) => Type.Integer({ minimum: 0, description });
const IsoTime = (description: string) => Type.String({ format: 'date-time', description });

export const ReconcileRunSummary = Type.Object(
  {
    run_id: Type.String({ description: 'this run, as its log lines name it' }),
    started_at: IsoTime('when the run started'),
    cutoff: IsoTime('raw messages received at or before this were looked at'),
    min_age_seconds: Count('the age a raw message needed to be looked at'),
    checked: Count('raw messages looked at'),
    outcomes: Type.Object(
      Object.fromEntries(MESSAGE_OUTCOMES.map((o) => [o, Count(`messages whose outcome was ${o}`)])) as Record<
        MessageOutcome,
        ReturnType<typeof Count>
      >,
      { description: 'per outcome, how many messages' },
    ),
    found: Count('messages found missing entries in this run (replayed + unresolved)'),
    events_published: Count('envelopes published to `events`'),
    rejections_written: Count('rejections written to the log'),
    more: Type.Boolean({ description: 'the run stopped at its max_messages or its RECONCILE_MAX_SECONDS with more waiting' }),
  },
  { description: 'what one reconciliation run did' },
);
export type RunSummary = Static<typeof ReconcileRunSummary>;

/** What a record and its presentation have alike. */
const FindingFields = {
  status: Type.Union(
    RECORD_STATUSES.map((s) => Type.Literal(s)),
    { description: `what became of it: one of ${RECORD_STATUSES.join(', ')}` },
  ),
  platform: Type.String(),
  request_id: Type.String(),
  workspace_ids: Type.Array(Type.String(), {
    description: "the workspaces the body's entries belong to (none: unrouted only, or not re-normalizable)",
  }),
  expected: Count('the log entries the body should have'),
  missing_events: Count('events missing when it was last found so'),
  missing_rejections: Count('rejections missing when it was last found so'),
  replayed_event_ids: Type.Array(Type.String(), { description: 'at most MAX_RECORDED_IDS of them' }),
  written_rejection_ids: Type.Array(Type.String(), { description: 'at most MAX_RECORDED_IDS of them' }),
  attempts: Count('replays so far'),
  detail: Type.String(),
};

/** A Firestore Timestamp field (stored records only; never validated, only typed). */
const StoredTime = Type.Unsafe<Timestamp>({});

/** `reconciliations/{raw id}` as stored. */
export const ReconciliationRecord = Type.Object({
  raw_id: Type.String(),
  ...FindingFields,
  received_at: StoredTime,
  /** When a run first found it missing (lists are ordered by it, newest first). */
  timestamp: StoredTime,
  checked_at: StoredTime,
  expire_at: StoredTime,
});
export type ReconciliationRecord = Static<typeof ReconciliationRecord>;

/** A record as the events API answers it (GET /reconciliations[/{id}]). */
export const ReconciliationFinding = Type.Object(
  {
    id: Type.String({ description: 'the raw message id' }),
    ...FindingFields,
    received_at: IsoTime('when the edge received the webhook'),
    found_at: IsoTime('when a run first found it missing'),
    checked_at: IsoTime('when a run last checked it'),
  },
  { description: 'an acknowledged webhook found missing from the event log' },
);
export type ReconciliationFinding = Static<typeof ReconciliationFinding>;
