/**
 * topology.json, the one declaration of topics, subscriptions, functions and
 * Firestore settings that Terraform, the local stack and the code all read.
 * The schema below is its one definition: the types are derived from it, and
 * the file is checked against it when this module loads, so a typo in
 * topology.json fails at start-up (and in the tests) with the path at fault.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import raw from '../../topology.json';

/** A closed object: a misspelt key is an error, not a silently ignored setting. */
const Closed = <T extends Parameters<typeof Type.Object>[0]>(properties: T) => Type.Object(properties, { additionalProperties: false });
const Duration = Type.String({ pattern: '^[0-9]+s$' });
const Comment = Type.Optional(Type.String());
const mapOf = <T extends TSchema>(value: T) => Type.Record(Type.String({ minLength: 1 }), value);

export const TopicSpec = Closed({
  description: Type.String(),
  /** Topic retention: lets a subscription created later seek back to messages published before it existed. */
  message_retention_duration: Type.Optional(Duration),
});

/** The Firestore databases a function may be granted: `(default)` and `FirestoreSpec.block_secrets_database`. */
export const FirestoreDatabaseKey = Type.Union([Type.Literal('default'), Type.Literal('block_secrets')]);
/** `read` becomes roles/datastore.viewer, `read_write` roles/datastore.user, each held to its database. */
export const FirestoreAccess = Type.Union([Type.Literal('read'), Type.Literal('read_write')]);

export const SubscriptionSpec = Closed({
  topic: Type.String(),
  /** Function that receives the pushes; absent for pull subscriptions. */
  push_to: Type.Optional(Type.String()),
  pull: Type.Optional(Type.Boolean()),
  ack_deadline_seconds: Type.Integer({ minimum: 10, maximum: 600 }),
  message_retention_duration: Type.Optional(Duration),
  retry_policy: Closed({ minimum_backoff: Duration, maximum_backoff: Duration }),
  dead_letter: Type.Optional(Closed({ topic: Type.String(), max_delivery_attempts: Type.Integer({ minimum: 5, maximum: 100 }) })),
});

export const FunctionSpec = Closed({
  entry_point: Type.String({ pattern: '^[A-Za-z_$][A-Za-z0-9_$]*$' }),
  trigger: Type.Union([Type.Literal('http'), Type.Literal('pubsub')]),
  /** Only the platform webhooks are public (allUsers may invoke them). */
  public: Type.Boolean(),
  /** Topics this function publishes to (its service account gets publisher on each). */
  publishes: Type.Array(Type.String()),
  /**
   * Its access to each Firestore database it uses, and nothing for the others.
   * Terraform derives the grants from it; a function with `block_secrets`
   * also gets BLOCK_SECRETS_DATABASE.
   */
  firestore: Closed({ default: Type.Optional(FirestoreAccess), block_secrets: Type.Optional(FirestoreAccess) }),
  env: mapOf(Type.String()),
  /** Secret Manager secrets exposed as environment variables of the same name. */
  secrets: Type.Array(Type.String({ pattern: '^[A-Z][A-Z0-9_]*$' })),
  memory: Type.String({ pattern: '^[0-9]+(Mi|Gi)$' }),
  cpu: Type.String(),
  concurrency: Type.Integer({ minimum: 1, maximum: 1000 }),
  min_instances: Type.Integer({ minimum: 0 }),
  max_instances: Type.Integer({ minimum: 1 }),
  timeout_seconds: Type.Integer({ minimum: 1, maximum: 3600 }),
});

const Order = Type.Union([Type.Literal('ASCENDING'), Type.Literal('DESCENDING')]);
/**
 * One field of a composite index: ordered, or (for an `array-contains`
 * filter) `array_config: CONTAINS`. Firestore takes exactly one of the two;
 * the never-halves let code read either property off any field.
 */
export const IndexFieldSpec = Type.Union([
  Closed({ field_path: Type.String(), order: Order, array_config: Type.Optional(Type.Never()) }),
  Closed({ field_path: Type.String(), array_config: Type.Literal('CONTAINS'), order: Type.Optional(Type.Never()) }),
]);

export const IndexSpec = Closed({
  collection_group: Type.String(),
  query_scope: Type.Union([Type.Literal('COLLECTION'), Type.Literal('COLLECTION_GROUP')]),
  fields: Type.Array(IndexFieldSpec, { minItems: 2 }),
});

export const FirestoreSpec = Closed({
  $comment: Comment,
  /** The database of `block_secrets` (shared/contracts/blocks.ts), apart so that only functions with `firestore.block_secrets` can read it. */
  block_secrets_database: Type.String({ pattern: '^[a-z][a-z0-9-]{2,62}$' }),
  ttl_fields: Type.Array(Closed({ collection_group: Type.String(), field: Type.String() })),
  /** Fields whose automatic single-field indexes are turned off: no query may filter or order on them (test/firestore/indexes.test.ts). */
  index_exemptions: Type.Array(Closed({ collection_group: Type.String(), field: Type.String() })),
  composite_indexes: Type.Array(IndexSpec),
});

export const Topology = Closed({
  $comment: Comment,
  topics: mapOf(TopicSpec),
  subscriptions: mapOf(SubscriptionSpec),
  functions: mapOf(FunctionSpec),
  firestore: FirestoreSpec,
});

export type TopicSpec = Static<typeof TopicSpec>;
export type FirestoreDatabaseKey = Static<typeof FirestoreDatabaseKey>;
export type FirestoreAccess = Static<typeof FirestoreAccess>;
export type SubscriptionSpec = Static<typeof SubscriptionSpec>;
export type FunctionSpec = Static<typeof FunctionSpec>;
export type IndexFieldSpec = Static<typeof IndexFieldSpec>;
export type IndexSpec = Static<typeof IndexSpec>;
export type FirestoreSpec = Static<typeof FirestoreSpec>;
export type Topology = Static<typeof Topology>;

const checkTopology = TypeCompiler.Compile(Topology);

/** The problems of a would-be topology, one "path: message" line each; empty when it is valid. */
export function topologyProblems(value: unknown): string[] {
  return [...checkTopology.Errors(value)].map((e) => `${e.path || '/'}: ${e.message}`);
}

/** Checks `value` against the schema; throws with every problem found. */
export function parseTopology(value: unknown): Topology {
  if (checkTopology.Check(value)) return value;
  throw new Error(`topology.json does not match its schema (shared/contracts/topology.ts):\n  ${topologyProblems(value).join('\n  ')}`);
}

export const topology: Topology = parseTopology(raw);
