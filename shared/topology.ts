/**
 * Types for topology.json, the one declaration of topics, subscriptions and
 * functions that Terraform and the local stack both read.
 */
import raw from '../topology.json';

export interface TopicSpec {
  description: string;
  /** Topic retention: lets a subscription created later seek back to messages published before it existed. */
  message_retention_duration?: string;
}

/** The Firestore databases a function may be granted: `(default)` and `FirestoreSpec.block_secrets_database`. */
export type FirestoreDatabaseKey = 'default' | 'block_secrets';
/** `read` becomes roles/datastore.viewer, `read_write` roles/datastore.user, each held to its database. */
export type FirestoreAccess = 'read' | 'read_write';

export interface SubscriptionSpec {
  topic: string;
  /** Function that receives the pushes; absent for pull subscriptions. */
  push_to?: string;
  pull?: boolean;
  ack_deadline_seconds: number;
  message_retention_duration?: string;
  retry_policy: { minimum_backoff: string; maximum_backoff: string };
  dead_letter?: { topic: string; max_delivery_attempts: number };
}

export interface FunctionSpec {
  entry_point: string;
  trigger: 'http' | 'pubsub';
  /** Only the platform webhooks are public (allUsers may invoke them). */
  public: boolean;
  /** Topics this function publishes to (its service account gets publisher on each). */
  publishes: string[];
  /**
   * Its access to each Firestore database it uses, and nothing for the others.
   * Terraform derives the grants from it; a function with `block_secrets`
   * also gets BLOCK_SECRETS_DATABASE.
   */
  firestore: Partial<Record<FirestoreDatabaseKey, FirestoreAccess>>;
  env: Record<string, string>;
  /** Secret Manager secrets exposed as environment variables of the same name. */
  secrets: string[];
  memory: string;
  cpu: string;
  concurrency: number;
  min_instances: number;
  max_instances: number;
  timeout_seconds: number;
}

/**
 * One field of a composite index: ordered, or (for an `array-contains`
 * filter) `array_config: CONTAINS`. Firestore takes exactly one of the two;
 * the `?: never` halves let code read either property off any field.
 */
export type IndexFieldSpec =
  | { field_path: string; order: 'ASCENDING' | 'DESCENDING'; array_config?: never }
  | { field_path: string; array_config: 'CONTAINS'; order?: never };

export interface IndexSpec {
  collection_group: string;
  query_scope: 'COLLECTION' | 'COLLECTION_GROUP';
  fields: IndexFieldSpec[];
}

export interface FirestoreSpec {
  /** The database of `block_secrets` (shared/blocks.ts), apart so that only functions with `firestore.block_secrets` can read it. */
  block_secrets_database: string;
  ttl_fields: Array<{ collection_group: string; field: string }>;
  composite_indexes: IndexSpec[];
}

export interface Topology {
  topics: Record<string, TopicSpec>;
  firestore: FirestoreSpec;
  subscriptions: Record<string, SubscriptionSpec>;
  functions: Record<string, FunctionSpec>;
}

export const topology: Topology = raw as unknown as Topology;
