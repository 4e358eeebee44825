/**
 * Taps on the local stack's topics: one extra pull subscription per topic (on
 * the Pub/Sub emulator, in the stack's project), so a test sees every message
 * published after it opened them, with its attributes, without taking any
 * away from the functions' own push subscriptions.
 */
import { emulatorCall, type PullResponse } from '../helpers/pubsub-emulator';
import { until } from '../helpers/wait';

export interface TappedMessage {
  topic: string;
  data: Buffer;
  attributes: Record<string, string>;
}

export interface Taps {
  /** Everything pulled so far, in order of arrival. */
  messages: TappedMessage[];
  /** Pulls until `done` holds for what has arrived (or the timeout passes). */
  collect(done: (messages: TappedMessage[]) => boolean, timeoutMs?: number): Promise<TappedMessage[]>;
  close(): Promise<void>;
}

export async function tapTopics(projectId: string, topics: readonly string[]): Promise<Taps> {
  const call = (method: string, path: string, body?: unknown) => emulatorCall(method, path, body, projectId);
  const suffix = `tap-${Date.now().toString(36)}`;
  const subs = topics.map((topic) => ({ topic, subscription: `${topic}-${suffix}` }));
  for (const s of subs) {
    await call('PUT', `subscriptions/${s.subscription}`, { topic: `projects/${projectId}/topics/${s.topic}`, ackDeadlineSeconds: 60 });
  }
  const messages: TappedMessage[] = [];
  const pullAll = async () => {
    for (const s of subs) {
      const res = (await call('POST', `subscriptions/${s.subscription}:pull`, {
        maxMessages: 100,
        returnImmediately: true,
      })) as PullResponse;
      const received = res.receivedMessages ?? [];
      if (received.length) await call('POST', `subscriptions/${s.subscription}:acknowledge`, { ackIds: received.map((m) => m.ackId) });
      for (const m of received) {
        messages.push({ topic: s.topic, data: Buffer.from(m.message.data ?? '', 'base64'), attributes: m.message.attributes ?? {} });
      }
    }
  };
  return {
    messages,
    async collect(done, timeoutMs = 30_000) {
      await until(
        'the tapped topics to carry the expected messages',
        async () => {
          await pullAll();
          return done(messages);
        },
        { timeoutMs, intervalMs: 200 },
      );
      return messages;
    },
    async close() {
      for (const s of subs) await call('DELETE', `subscriptions/${s.subscription}`).catch(() => undefined);
    },
  };
}
