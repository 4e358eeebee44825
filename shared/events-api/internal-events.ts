/**
 * Events other Convotic services publish through the API: the types no
 * platform webhook carries. INTERNAL_EVENT_TYPES is the one list; anything
 * else (messaging.message.received...) comes only from the normalizer or a
 * consumer, and is refused with 400.
 */
import { randomUUID } from 'node:crypto';
import { validateEnvelope, type Envelope, type EnvelopeMetadata, type EventType } from '../envelope';
import { hashId } from '../envelope/ids';
import { INTERNAL_SOURCE } from '../platforms';
import { badRequest } from './http';
import { deeperThan } from '../runtime/bounded';
import { isStorableTime } from '../event-log/entry';

export const INTERNAL_EVENT_TYPES = [
  'commerce.order.created',
  'commerce.order.updated',
  'commerce.order.fulfilled',
  'commerce.order.cancelled',
  'commerce.cart.abandoned',
  'crm.deal.created',
  'crm.deal.stage_changed',
  'automation.workflow.completed',
  'automation.workflow.failed',
  'automation.workflow.paused',
  'ptm.notification.sent',
  'ptm.notification.delivered',
  'ptm.notification.clicked',
  'platform.block.connected',
  'platform.block.disconnected',
  'platform.block.error',
  'messaging.conversation.closed',
] as const satisfies readonly EventType[];

const ALLOWED: ReadonlySet<string> = new Set(INTERNAL_EVENT_TYPES);

/**
 * Types a pipeline consumer derives from the events it reads, and which one:
 * never posted, since a posted one would announce a change no record holds
 * (a crm.contact.merged for contacts nobody merged). Named in the refusal.
 */
export const DERIVED_EVENT_TYPES: Readonly<Partial<Record<EventType, string>>> = {
  'crm.contact.created': 'the contacts subscriber when it creates a contact',
  'crm.contact.updated': "the contacts subscriber when a contact's profile changes",
  'crm.contact.merged': 'the contacts subscriber when it merges two contacts of one person',
  'messaging.conversation.created': 'the contacts subscriber when a thread is first seen',
  'automation.workflow.started': 'the triggers subscriber when it starts a workflow',
};

/**
 * What the blocks service (shared/blocks/service.ts) publishes: the postable
 * types and platform.webhook.verified, which a connect whose platform verified
 * our webhook (Meta's hub.challenge during the app subscription) announces for
 * the Block. Not postable through the events API: only the pipeline emits it.
 */
export const BLOCK_SERVICE_EVENT_TYPES: ReadonlySet<string> = new Set([...INTERNAL_EVENT_TYPES, 'platform.webhook.verified']);

/**
 * Metadata a posted event may not set: each ties an event to a webhook
 * request or to another event, which only the normalizer and replay may
 * claim. The log shows the webhook item `request_id` and `raw_path` name,
 * so a caller setting them could read a body of another workspace.
 */
const RESERVED_METADATA = [
  'request_id',
  'raw_path',
  'replay_of',
  'replay_of_entry',
  'replay_origin',
] as const satisfies readonly (keyof EnvelopeMetadata)[];

/**
 * The fields of a posted body the API refuses, named as the caller wrote
 * them. `id` is the API's to give (idempotency key or random): a caller's own
 * id could take an existing or future event's.
 */
function reservedFields(fields: Record<string, unknown>, metadata: Record<string, unknown>): string[] {
  return [...('id' in fields ? ['id'] : []), ...RESERVED_METADATA.filter((k) => k in metadata).map((k) => `metadata.${k}`)];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The envelope for a posted internal event: workspace from the path, id from
 * the idempotency key (the same key twice is the same event) or random,
 * platform `convotic` unless given, metadata.source `internal`. A body that
 * sets `id` or RESERVED_METADATA is refused (400 reserved_field) rather than
 * silently changed, so the caller learns its value was not used.
 */
const MAX_BODY_DEPTH = 64;

export function internalEnvelope(
  workspaceId: string,
  body: unknown,
  headerKey: string | undefined,
  now: Date,
  allowed: ReadonlySet<string> = ALLOWED,
): Envelope {
  if (!isObject(body)) throw badRequest('invalid_body', 'the body must be a JSON object (an event envelope)');
  // Publishing stringifies it: past this depth that overflows the stack (a 500), and no event type nests so deep.
  if (deeperThan(body, MAX_BODY_DEPTH)) throw badRequest('invalid_body', `the body nests deeper than ${MAX_BODY_DEPTH} levels`);
  const { idempotency_key: bodyKey, ...fields } = body;
  if (bodyKey !== undefined && (typeof bodyKey !== 'string' || !bodyKey))
    throw badRequest('invalid_body', 'idempotency_key must be a non-empty string');
  const key = headerKey ?? (bodyKey as string | undefined);
  const type = fields.type;
  if (typeof type !== 'string') throw badRequest('invalid_body', 'type is required');
  if (!allowed.has(type)) {
    const derivedBy = Object.hasOwn(DERIVED_EVENT_TYPES, type) ? DERIVED_EVENT_TYPES[type as EventType] : undefined;
    throw badRequest(
      'type_not_allowed',
      `${type} cannot be posted: ${derivedBy ? `it is derived by ${derivedBy}` : 'only the normalizer and pipeline consumers emit it'}. Allowed here: ${INTERNAL_EVENT_TYPES.join(', ')}`,
    );
  }
  if (fields.workspace_id !== undefined && fields.workspace_id !== workspaceId) {
    throw badRequest(
      'workspace_mismatch',
      `workspace_id ${JSON.stringify(fields.workspace_id)} differs from the path's workspace ${workspaceId}`,
    );
  }
  if (fields.metadata !== undefined && !isObject(fields.metadata)) throw badRequest('invalid_body', 'metadata must be an object');
  const metadata = (fields.metadata ?? {}) as Record<string, unknown>;
  if (metadata.source !== undefined && metadata.source !== 'internal') {
    throw badRequest(
      'invalid_body',
      `metadata.source must be "internal" (or absent) for posted events, got ${JSON.stringify(metadata.source)}`,
    );
  }
  const reserved = reservedFields(fields, metadata);
  if (reserved.length) {
    throw badRequest(
      'reserved_field',
      `${reserved.join(', ')} cannot be posted: the API gives the id (from the Idempotency-Key or idempotency_key, else random), and the webhook and replay fields (metadata.${RESERVED_METADATA.join(', metadata.')}) are set only by the normalizer and by replay`,
      reserved,
    );
  }
  const id = hashId('evt', ['internal', workspaceId, key ?? randomUUID()]);
  const candidate = {
    ...fields,
    id,
    workspace_id: workspaceId,
    block_id: fields.block_id ?? null,
    platform: fields.platform ?? INTERNAL_SOURCE,
    timestamp: fields.timestamp ?? now.toISOString(),
    metadata: { ...metadata, raw_platform_event_id: metadata.raw_platform_event_id ?? key ?? id, source: 'internal' },
  };
  const at = typeof candidate.timestamp === 'string' ? Date.parse(candidate.timestamp) : NaN;
  // The schema takes any RFC 3339 time; the event log (Firestore) holds years 1 to 9999 only.
  if (!Number.isNaN(at) && !isStorableTime(at))
    throw badRequest('invalid_envelope', 'timestamp must be a time from year 1 to 9999', [
      { path: '/timestamp', message: 'is outside years 1 to 9999' },
    ]);
  const result = validateEnvelope(candidate);
  if (!result.ok) {
    throw badRequest(
      'invalid_envelope',
      `the event does not match the ${type} schema: ${result.violations.map((v) => `${v.path} ${v.message}`).join('; ')}`,
      result.violations,
    );
  }
  return result.envelope;
}
