/**
 * Publishes RejectedItems to `webhook-rejected` (the event log subscribes).
 * Attributes let subscribers filter without decoding: reason, platform, and
 * the Block when it is known.
 */
import type { Topic } from '@google-cloud/pubsub';
import { getTopic } from '../runtime/gcp';
import type { RejectedItem } from '../contracts/rejection';
import { carried } from '../runtime/trace';

export interface RejectionPublisher {
  publish(item: RejectedItem): Promise<string>;
}

export function rejectionAttributes(item: RejectedItem): Record<string, string> {
  const attrs: Record<string, string> = {
    rejection_id: item.id,
    reason: item.reason,
    platform: item.platform,
    'content-type': 'application/json',
  };
  if (item.workspace_id) attrs.workspace_id = item.workspace_id;
  if (item.block_id) attrs.block_id = item.block_id;
  if (item.request_id) attrs.request_id = item.request_id;
  return attrs;
}

export function createRejectionPublisher(topic: Topic | string): RejectionPublisher {
  const target = typeof topic === 'string' ? getTopic(topic) : topic;
  return {
    publish: (item) => target.publishMessage({ data: Buffer.from(JSON.stringify(item)), attributes: carried(rejectionAttributes(item)) }),
  };
}
