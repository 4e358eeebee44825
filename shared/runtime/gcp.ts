/**
 * Google client factories, created lazily so that a function loads only the
 * clients it uses (the Meta webhooks never load Firestore) and made once per
 * process. Both honour PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST.
 */
import type { PubSub, Topic, PublishOptions } from '@google-cloud/pubsub';
import type { Firestore } from '@google-cloud/firestore';
import { envNumber, type Env } from './env';

let pubsub: PubSub | undefined;
/** Clients by database id: the registry and log in `(default)`, Block secrets in their own (blocks.ts). */
const firestores = new Map<string, Firestore>();
const DEFAULT_DATABASE = '(default)';
const topics = new Map<string, Topic>();

export function projectId(): string | undefined {
  return process.env.GOOGLE_CLOUD_PROJECT ?? process.env.GCLOUD_PROJECT;
}

export function getPubSub(): PubSub {
  if (!pubsub) {
    // Required lazily: loading @google-cloud/pubsub costs cold-start time.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PubSub: Client } = require('@google-cloud/pubsub') as typeof import('@google-cloud/pubsub');
    pubsub = new Client({ projectId: projectId() });
  }
  return pubsub;
}

export function getFirestore(databaseId: string = DEFAULT_DATABASE): Firestore {
  let firestore = firestores.get(databaseId);
  if (!firestore) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Firestore: Client } = require('@google-cloud/firestore') as typeof import('@google-cloud/firestore');
    firestore = new Client({ projectId: projectId(), databaseId, ignoreUndefinedProperties: true });
    firestores.set(databaseId, firestore);
  }
  return firestore;
}

/**
 * Publishing is batched: many concurrent requests share one RPC. maxMilliseconds
 * bounds the latency a message waits for its batch.
 */
export const DEFAULT_PUBLISH_OPTIONS: PublishOptions = {
  batching: {
    maxMessages: 100,
    // PUBSUB_BATCH_MAX_MS: how long a message may wait for others to share its publish RPC.
    maxMilliseconds: publishBatchMs(),
    maxBytes: 4 * 1024 * 1024,
  },
};

/** One Topic handle per name and process (each holds its own batching queue). */
export function getTopic(name: string, options: PublishOptions = DEFAULT_PUBLISH_OPTIONS): Topic {
  let topic = topics.get(name);
  if (!topic) {
    topic = getPubSub().topic(name, options);
    topics.set(name, topic);
  }
  return topic;
}

/** PUBSUB_BATCH_MAX_MS, 0..1000 ms, default 5. */
export function publishBatchMs(env: Env = process.env): number {
  return envNumber(env, 'PUBSUB_BATCH_MAX_MS', 5, { min: 0, max: 1000 });
}
