/**
 * The one way an envelope reaches the `events` topic: validated against its
 * type's schema, serialized once, and published with the attributes
 * subscription filters and CloudEvents-aware consumers use.
 */
import type { Topic } from '@google-cloud/pubsub';
import { getTopic } from '../runtime/gcp';
import { assertEnvelope } from './validate';
import type { Envelope } from './envelope';
import { topicName } from '../contracts/topics';
import { carried } from '../runtime/trace';

export const CE_SOURCE_PREFIX = '//convotic.com/webhooks';

/** Pub/Sub attributes of an envelope message (all strings; block_id "" when null). */
export function envelopeAttributes(envelope: Envelope): Record<string, string> {
  return {
    type: envelope.type,
    platform: envelope.platform,
    workspace_id: envelope.workspace_id,
    block_id: envelope.block_id ?? '',
    event_id: envelope.id,
    // CloudEvents Pub/Sub protocol binding, binary mode.
    'ce-specversion': '1.0',
    'ce-id': envelope.id,
    'ce-type': `com.convotic.${envelope.type}`,
    'ce-source': `${CE_SOURCE_PREFIX}/${envelope.platform}/${envelope.workspace_id}`,
    'ce-time': envelope.timestamp,
    'content-type': 'application/json',
  };
}

export interface EnvelopePublisher {
  /** Validates and publishes; resolves with the Pub/Sub message id once the service acknowledged it. */
  publish(envelope: Envelope): Promise<string>;
}

export function createEnvelopePublisher(topic: Topic | string = topicName('events')): EnvelopePublisher {
  const target = typeof topic === 'string' ? getTopic(topic) : topic;
  return {
    // Not async: the publish's own promise is the only one (the functions-framework's per-request domain tracks each).
    publish(envelope) {
      try {
        assertEnvelope(envelope);
      } catch (err) {
        return Promise.reject(err as Error);
      }
      return target.publishMessage({ data: Buffer.from(JSON.stringify(envelope)), attributes: carried(envelopeAttributes(envelope)) });
    },
  };
}
