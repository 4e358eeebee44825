/**
 * Every request and answer shape of the events API, once, as TypeBox
 * schemas: the routes validate query strings and bodies with them
 * (validate.ts), and the OpenAPI document (openapi.ts) is generated from them.
 * The schemas check shape (names, types, enumerations, lengths); what needs
 * the registry or another parameter (a known event type, from before to) is
 * checked after them, with its own code (filters.ts).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { PLATFORMS, INTERNAL_SOURCE } from '../platforms';
import { ENTRY_STATUSES } from '../event-log/outcomes';
import { ENTRY_REASONS } from '../event-log/entry';
import { MAX_ACCOUNT_ID_LENGTH } from '../event-log/accounts';
import { MAX_RECONCILE_MESSAGES } from '../reconcile/config';
import { PROBLEM_TYPES } from './problems';

/** The values `platform` may take: the webhook platforms and the internal source. */
export const SOURCES: readonly string[] = [...PLATFORMS, INTERNAL_SOURCE];
export const MAX_REPLAY_EVENTS = 500;
export const MAX_LIMIT = 200;

const oneOf = (values: readonly string[], description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  );
const Id = (description: string) => Type.String({ minLength: 1, maxLength: 200, description });
/** An ISO 8601 time as a query parameter: shape here, the value (a real, storable time) in filters.ts. */
const Time = (description: string) => Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}', maxLength: 64, description });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

// --- Requests -----------------------------------------------------------------

/** The list filters of a workspace's log, as query parameters (strings). */
export const ListFilterParams = {
  platform: Type.Optional(oneOf(SOURCES, `one of ${SOURCES.join(', ')}`)),
  type: Type.Optional(Id('an event type, or a prefix such as messaging.* or messaging.message.*')),
  type_prefix: Type.Optional(Id('an event domain (messaging) or domain.entity (messaging.message)')),
  status: Type.Optional(oneOf(ENTRY_STATUSES, `one of ${ENTRY_STATUSES.join(', ')}`)),
  contact_id: Type.Optional(Id('1 to 200 characters')),
  block_id: Type.Optional(Id('1 to 200 characters')),
  replayed: Type.Optional(oneOf(['true', 'false'], 'true or false')),
  from: Type.Optional(Time('an ISO 8601 time (inclusive), on the event time')),
  to: Type.Optional(Time('an ISO 8601 time (exclusive), on the event time')),
};

const PageParams = {
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: `an integer from 1 to ${MAX_LIMIT} (default 50)` })),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 2000, description: 'the next_cursor of the previous page, with the same filter' }),
  ),
};

export const EventListQuery = Type.Object({ ...ListFilterParams, ...PageParams }, { additionalProperties: false });

/** A list route with no filter: only limit and cursor. */
export const PageQuery = Type.Object(PageParams, { additionalProperties: false });

export const UnroutedListQuery = Type.Object(
  {
    platform: Type.Optional(oneOf(SOURCES, `one of ${SOURCES.join(', ')}`)),
    reason: Type.Optional(oneOf(ENTRY_REASONS, `one of ${ENTRY_REASONS.join(', ')}`)),
    account: Type.Optional(
      Type.String({ minLength: 1, maxLength: MAX_ACCOUNT_ID_LENGTH, description: `1 to ${MAX_ACCOUNT_ID_LENGTH} characters, given once` }),
    ),
    from: ListFilterParams.from,
    to: ListFilterParams.to,
    ...PageParams,
  },
  { additionalProperties: false },
);

/** A bulk replay's filter: the list filters as a JSON object; `replayed` also as a boolean. */
export const ReplayFilter = Type.Object(
  {
    ...ListFilterParams,
    replayed: Type.Optional(Type.Union([Type.Boolean(), oneOf(['true', 'false'], '')], { description: 'true or false' })),
  },
  { additionalProperties: false, description: 'the list filters' },
);

export const BulkReplayRequest = Type.Object(
  {
    filter: Type.Optional(ReplayFilter),
    max_events: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_REPLAY_EVENTS,
        description: `an integer from 1 to ${MAX_REPLAY_EVENTS} (default ${MAX_REPLAY_EVENTS})`,
      }),
    ),
    dry_run: Type.Optional(Type.Boolean({ description: 'true or false: count the matching events, replay nothing' })),
    confirm_all: Type.Optional(Type.Boolean({ description: 'true or false: required to replay with no filter at all' })),
  },
  { additionalProperties: false },
);

/** An internal event: its shape against the envelope schema and the allowed types is checked by internalEnvelope. */
export const InternalEventRequest = Type.Object(
  {
    type: Type.String({ minLength: 1, description: 'one of the internal event types' }),
    data: Type.Optional(Type.Object({}, { description: "the type's data" })),
    timestamp: Type.Optional(Type.String({ description: 'an RFC 3339 time (default now)' })),
    block_id: Type.Optional(Nullable(Type.String())),
    platform: Type.Optional(Type.String()),
    workspace_id: Type.Optional(Type.String({ description: "the path's workspace, or absent" })),
    metadata: Type.Optional(Type.Object({}, { description: 'an object' })),
    idempotency_key: Type.Optional(Type.String({ minLength: 1, description: 'a non-empty string' })),
  },
  { description: 'an event envelope without id' },
);

// --- Answers ------------------------------------------------------------------

const Time_ = Nullable(Type.String({ format: 'date-time' }));
const Json = Type.Unknown();

export const EventSummary = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  timestamp: Time_,
  received_at: Time_,
  platform: Nullable(Type.String()),
  type: Nullable(Type.String()),
  status: oneOf(ENTRY_STATUSES, 'the processing status'),
  block_id: Nullable(Type.String()),
  contact_id: Nullable(Type.String()),
  source: Nullable(Type.String()),
  execution_ids: Type.Array(Type.String()),
  replay_of: Nullable(Type.String()),
  replays: Type.Array(Type.String()),
  consumers: Type.Record(Type.String(), Json, { description: "each consumer's outcome: status, attempt, error, at" }),
  last_error: Type.Optional(Json),
  rejection: Type.Optional(Json),
});

export const EventDetail = Type.Intersect([
  EventSummary,
  Type.Object({
    logged_at: Time_,
    expire_at: Time_,
    request_id: Nullable(Type.String()),
    raw_platform_event_id: Nullable(Type.String()),
    envelope: Nullable(Type.Object({})),
    envelope_omitted: Type.Optional(Type.Boolean()),
    raw: Type.Object({
      available: Type.Boolean(),
      payload: Type.Optional(Json),
      truncated: Type.Optional(Type.Boolean()),
      note: Type.Optional(Type.String()),
    }),
    last_error: Json,
  }),
]);

/** The one list wrapper of every list route. */
export const ListOf = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    next_cursor: Nullable(Type.String({ description: 'pass as cursor, with the same filter, for the next page' })),
  });

export const InternalEventAccepted = Type.Object({ id: Type.String(), type: Type.String(), workspace_id: Type.String() });

export const ReplayOutcome = Type.Object({
  replay_of: Type.String(),
  mode: oneOf(['renormalized', 'envelope'], 'how the replay was made'),
  event_ids: Type.Array(Type.String()),
  note: Type.Optional(Type.String()),
});

const NormalizedFilter = Type.Record(Type.String(), Type.String(), { description: 'the filter as parameters' });

export const ReplayDryRun = Type.Object({
  dry_run: Type.Literal(true),
  matching: Type.Integer({ description: 'matching events, counted up to max_events + 1' }),
  max_events: Type.Integer(),
  too_many: Type.Boolean(),
  filter: NormalizedFilter,
});

export const JOB_STATUSES = ['queued', 'running', 'completed', 'completed_with_errors'] as const;

export const ReplayJob = Type.Object({
  job_id: Type.String(),
  workspace_id: Type.String(),
  status: oneOf(JOB_STATUSES, 'the job status'),
  filter: NormalizedFilter,
  total: Type.Integer(),
  done: Type.Integer(),
  replayed: Type.Integer(),
  failed: Type.Integer(),
  results: Type.Record(
    Type.String(),
    Type.Union([
      Type.Object({ event_ids: Type.Array(Type.String()), mode: Type.String() }),
      Type.Object({ error: Type.String(), reason: Type.String() }),
    ]),
  ),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  expire_at: Type.String({ format: 'date-time' }),
});

export const UnroutedSummary = Type.Object({
  id: Type.String(),
  kind: Nullable(Type.String()),
  timestamp: Time_,
  received_at: Time_,
  platform: Nullable(Type.String()),
  status: Nullable(Type.String()),
  rejection: Json,
  accounts: Type.Array(Type.String()),
  block_id: Nullable(Type.String()),
  request_id: Nullable(Type.String()),
  raw_platform_event_id: Nullable(Type.String()),
  replays: Type.Array(Type.String()),
  routed_to: Type.Array(Json),
  replayed_at: Time_,
});

export const UnroutedDetail = Type.Intersect([
  UnroutedSummary,
  Type.Object({
    logged_at: Time_,
    expire_at: Time_,
    raw: Type.Object({ payload: Json, truncated: Type.Boolean() }),
    raw_ref: Nullable(Type.String()),
    webhook_body: Type.Object({ stored: Type.Boolean(), size: Type.Optional(Type.Integer()), note: Type.Optional(Type.String()) }),
  }),
]);

export const UnroutedReplayed = Type.Object({
  replayed: Type.String(),
  event_ids: Type.Array(Type.String()),
  routed_to: Type.Array(Type.Object({ workspace_id: Type.String(), block_id: Nullable(Type.String()) })),
  still_rejected: Type.Array(Json),
});

/** The body of POST /reconciliations: both fields override the configured value for this run only. */
export const ReconcileRunRequest = Type.Object(
  {
    min_age_seconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 30 * 24 * 3600, description: 'an integer of seconds from 0 to 2592000 (30 days)' }),
    ),
    max_messages: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_RECONCILE_MESSAGES, description: `an integer from 1 to ${MAX_RECONCILE_MESSAGES}` }),
    ),
  },
  { additionalProperties: false },
);

/** Its answer, and the findings GET /reconciliations lists: the run's own shapes (shared/reconcile/shapes.ts). */
export { ReconcileRunSummary, ReconciliationFinding } from '../reconcile/shapes';

/** RFC 9457 problem details, with our `code` and `request_id` members. */
export const Problem = Type.Object({
  type: Type.String({ description: '/problems/<code>' }),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  instance: Type.String(),
  code: Type.String({ description: `one of ${Object.keys(PROBLEM_TYPES).join(', ')}` }),
  request_id: Type.String(),
  details: Type.Optional(Json),
});

export const ProblemTypeDescription = Type.Object({
  type: Type.String(),
  code: Type.String(),
  status: Type.Integer(),
  title: Type.String(),
});
