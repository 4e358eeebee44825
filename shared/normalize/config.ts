import { topicName } from '../topics';

/** The normalizer function's settings: environment, then default (topology.json sets them in production). */
export interface NormalizerConfig {
  /** Where envelopes go. */
  eventsTopic: string;
  /** Where rejected items go. */
  rejectedTopic: string;
}

export function normalizerConfig(env: NodeJS.ProcessEnv = process.env): NormalizerConfig {
  return {
    eventsTopic: topicName('events', env),
    rejectedTopic: topicName('rejected', env),
  };
}
