import { envNumber } from '../runtime/env';
import { topicName } from '../contracts/topics';

/** The normalizer function's settings: environment, then default (topology.json sets them in production). */
export interface NormalizerConfig {
  /** Where envelopes go. */
  eventsTopic: string;
  /** Where rejected items go. */
  rejectedTopic: string;
  /** How long a Block registry lookup may take before the message is handed back to Pub/Sub to retry. */
  routingTimeoutMs: number;
}

export function normalizerConfig(env: NodeJS.ProcessEnv = process.env): NormalizerConfig {
  return {
    eventsTopic: topicName('events', env),
    rejectedTopic: topicName('rejected', env),
    // Well inside the push subscription's 60 s ack deadline; Firestore's own retries of an unreachable host run ~45 s.
    routingTimeoutMs: envNumber(env, 'NORMALIZER_ROUTING_TIMEOUT_MS', 10_000, { integer: true, min: 1 }),
  };
}
