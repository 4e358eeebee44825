/**
 * The unified event envelope (spec/webhook-events.md), derived from the event
 * type registry: one schema per type, their union, and the matching TypeScript
 * types. Nothing here is written by hand per type.
 */
import { Type, type Static, type TObject } from '@sinclair/typebox';
import { PLATFORMS, INTERNAL_SOURCE } from '../platforms';
import { EVENT_TYPES, EVENT_TYPE_NAMES, type EventType } from './event-types';
import { DateTime, EventId, NonEmpty, Opt, PrefixedId } from './parts';

export const ENVELOPE_SCHEMA_ID = 'https://schemas.convotic.com/events/envelope.json';

/**
 * The most workflows a causation chain may name. A hard bound on the envelope's
 * size, above any sensible TRIGGERS_MAX_CHAIN_DEPTH (which may not exceed it).
 */
export const MAX_CAUSATION_CHAIN = 32;

/**
 * The workflows whose executions led to an event, oldest first, the direct
 * cause last. Lets the triggers subscriber stop loops across workflows
 * (A starts B starts A) and cap how deep automations may cascade.
 */
export const CausationChain = Type.Array(Type.String({ minLength: 1 }), {
  maxItems: MAX_CAUSATION_CHAIN,
  description:
    'Workflow ids of the executions that led to this event, oldest first, the direct cause last. A workflow in the chain is never started by the event.',
});

/**
 * An event-log entry a replay can be made from: an event (`evt_`), a batch
 * item the normalizer rejected (`rej_`), or a webhook body it gave up on (`raw_`).
 */
export const LogEntryId = PrefixedId(
  '(?:evt|rej|raw)',
  'The event-log entry this replay was made from: an event (`evt_`, also in `replay_of`), a rejected batch item (`rej_`) or a webhook body the normalizer gave up on (`raw_`). Set on every replay.',
);

/** The sources an event is first published from; `replay` publishes one of these again. */
const ORIGINAL_SOURCES = ['webhook', 'derived', 'internal'] as const;

/**
 * Where the event a replay replays first came from (its `source`, followed
 * through replays of replays). The event log ties a replay to the webhook
 * body its `request_id` names only when this is `webhook`: any other event's
 * request_id was never checked against a webhook.
 */
export const ReplayOrigin = Type.Union(
  ORIGINAL_SOURCES.map((s) => Type.Literal(s)),
  {
    description:
      "Set on every replay: the source of the event it replays (for a replay of a replay, that one's origin). Only `webhook` replays refer to a stored webhook body.",
  },
);

export const EnvelopeMetadata = Type.Object(
  {
    raw_platform_event_id: NonEmpty("The source's own id for the event (mid, wamid, webhookEventId, update_id, order id...)."),
    received_at: Opt(DateTime),
    request_id: Opt(Type.String({ description: 'The webhook request that carried the event.' })),
    source: Opt(
      Type.Union(
        [...ORIGINAL_SOURCES, 'replay' as const].map((s) => Type.Literal(s)),
        {
          description:
            'webhook: normalized from a platform webhook; derived: emitted by a consumer (contacts, triggers); internal: posted by another Convotic service; replay: one of those published again by the events-api.',
        },
      ),
    ),
    replay_of: Opt(
      PrefixedId(
        'evt',
        'The event this replay publishes again. Absent when the replay was made from a rejected item or a failed webhook body (see `replay_of_entry`).',
      ),
    ),
    replay_of_entry: Opt(LogEntryId),
    replay_origin: Opt(ReplayOrigin),
    caused_by_event_id: Opt(EventId),
    caused_by_workflow_id: Opt(
      Type.String({
        description:
          'Set on events a Workflow execution caused, so it never triggers itself. The last of `caused_by_workflow_ids` when both are set.',
      }),
    ),
    caused_by_workflow_ids: Opt(CausationChain),
    caused_by_execution_id: Opt(Type.String()),
    platform_event_kind: Opt(
      Type.String({
        description: "The platform's name for what happened (e.g. `messaging.reaction`, `statuses.read`, `message_reaction`).",
      }),
    ),
    raw_path: Opt(
      Type.String({
        description:
          'Where the event sits in the webhook body that carried it: the batch item\'s path, e.g. `entry[0].messaging[2]`, `entry[0].changes[0].value.statuses[1]`, `events[3]`; "" when the item is the whole body (a Telegram update).',
      }),
    ),
    platform_detail: Opt(Type.Record(Type.String(), Type.Unknown(), { description: 'Raw platform-specific detail worth keeping.' })),
  },
  { additionalProperties: true },
);

const Source = Type.Union(
  [...PLATFORMS, INTERNAL_SOURCE].map((p) => Type.Literal(p)),
  {
    description: `The source platform, or "${INTERNAL_SOURCE}" for events another Convotic service published.`,
  },
);

/** The fields every envelope has besides `type` and `data`. */
export const EnvelopeBase = Type.Object({
  id: EventId,
  workspace_id: NonEmpty('The workspace this event belongs to.'),
  block_id: Type.Union([NonEmpty(), Type.Null()], { description: 'The Block that produced the event; null for events no Block produced.' }),
  platform: Source,
  timestamp: DateTime,
  metadata: EnvelopeMetadata,
});

function envelopeOf(type: EventType): TObject {
  const { id, workspace_id, block_id, platform, timestamp, metadata } = EnvelopeBase.properties;
  return Type.Object(
    { id, type: Type.Literal(type), workspace_id, block_id, platform, timestamp, data: EVENT_TYPES[type].data, metadata },
    { additionalProperties: false, $id: `${ENVELOPE_SCHEMA_ID}#/$defs/${type}`, title: type, description: EVENT_TYPES[type].description },
  );
}

/** The envelope schema of each event type. */
export const ENVELOPE_SCHEMAS = Object.fromEntries(EVENT_TYPE_NAMES.map((t) => [t, envelopeOf(t)])) as Record<EventType, TObject>;

export type EventData<K extends EventType> = Static<(typeof EVENT_TYPES)[K]['data']>;
export type EnvelopeMetadata = Static<typeof EnvelopeMetadata>;
export type CausationChain = Static<typeof CausationChain>;
export type ReplayOrigin = Static<typeof ReplayOrigin>;

/**
 * Where the event an envelope carries first came from: its `source`, or for a
 * replay the `replay_origin` it records. Undefined for a replay that records
 * none (published before replays recorded it), so nothing vouches for what its
 * `request_id` names. An envelope without `source` counts as a webhook's, as
 * the normalizer is the one publisher that does not go through an API.
 */
export function originOf(metadata: EnvelopeMetadata): ReplayOrigin | undefined {
  return metadata.source === 'replay' ? metadata.replay_origin : (metadata.source ?? 'webhook');
}
export type EnvelopeOf<K extends EventType> = Static<typeof EnvelopeBase> & { type: K; data: EventData<K> };
/** Any envelope; narrowing on `type` narrows `data`. */
export type Envelope = { [K in EventType]: EnvelopeOf<K> }[EventType];

/**
 * The published JSON Schema (draft 2020-12): the envelope of every type,
 * selected by `type`. Written to schema/envelope.schema.json for other languages.
 */
export function envelopeJsonSchema(): Record<string, unknown> {
  const defs: Record<string, unknown> = {};
  for (const type of EVENT_TYPE_NAMES) {
    const { $id: _id, ...schema } = ENVELOPE_SCHEMAS[type] as unknown as Record<string, unknown>;
    defs[type] = schema;
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: ENVELOPE_SCHEMA_ID,
    title: 'Convotic event envelope',
    type: 'object',
    required: ['type'],
    properties: { type: { enum: EVENT_TYPE_NAMES } },
    oneOf: EVENT_TYPE_NAMES.map((t) => ({ $ref: `#/$defs/${t}` })),
    $defs: defs,
  };
}
