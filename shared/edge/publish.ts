/**
 * Hands a verified request to Pub/Sub. The promise settles when Pub/Sub has
 * acknowledged the message (or failed): the edge answers 200 only after that.
 */
import { withDeadline } from '../runtime/deadline';
import { getTopic } from '../runtime/gcp';

export type RawPublisher = (data: Buffer, attributes: Record<string, string>) => Promise<string>;

export class PublishTimeoutError extends Error {
  override readonly name = 'PublishTimeoutError';
}

/**
 * The client retries transient errors for up to minutes; a platform waits
 * seconds. Past timeoutMs we answer 503 so the platform retries; if the
 * message still goes out later, the redelivery is a duplicate that the
 * normalizer's deterministic event ids absorb.
 */
export function topicPublisher(topicName: string, timeoutMs: number): RawPublisher {
  return (data, attributes) =>
    withDeadline(
      getTopic(topicName).publishMessage({ data, attributes }),
      timeoutMs,
      () => new PublishTimeoutError(`no ack from Pub/Sub within ${timeoutMs} ms`),
    );
}
