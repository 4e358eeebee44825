/**
 * Sees a workspace's platform events in its event log by polling queries on
 * their request ids (30 to a query) rather than with a snapshot listener: under
 * load the emulator's listener lagged by seconds and itself loaded the emulator.
 * An observation is timestamped when its query answers, so it is late by at most
 * the interval between polls plus one query's round trip.
 */
import type { Firestore } from '@google-cloud/firestore';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface EventLogPoll {
  /** request id → when its entry was first seen with the log writer's fields (`kind`). */
  loggedAt: Map<string, number>;
  /** request id → when its entry was first seen at `success`. */
  successAt: Map<string, number>;
  /** One round of queries for the ids not yet seen at `success`. */
  poll(ids: string[]): Promise<void>;
}

export function eventLogPoll(firestore: Firestore, workspaceId: string): EventLogPoll {
  const loggedAt = new Map<string, number>();
  const successAt = new Map<string, number>();
  const eventLog = firestore.collection('workspaces').doc(workspaceId).collection('event_log');
  const poll = async (ids: string[]): Promise<void> => {
    const open = ids.filter((id) => !successAt.has(id));
    for (let i = 0; i < open.length; i += 30) {
      const snap = await eventLog.where('request_id', 'in', open.slice(i, i + 30)).get();
      const now = performance.now();
      for (const doc of snap.docs) {
        if (doc.get('type') !== 'messaging.message.received') continue;
        const id = doc.get('request_id') as string;
        // The entry may be created by a consumer's outcome report before the log writer adds its fields.
        if (doc.get('kind') && !loggedAt.has(id)) loggedAt.set(id, now);
        if (doc.get('status') === 'success' && !successAt.has(id)) successAt.set(id, now);
      }
    }
  };
  return { loggedAt, successAt, poll };
}
