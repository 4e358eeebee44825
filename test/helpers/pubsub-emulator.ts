/**
 * Topic and pull-subscription plumbing against the Pub/Sub emulator's REST API,
 * for tests that assert what was (or was not) published.
 */
import { uniqueName } from './names';

export interface PulledMessage {
  data: Buffer;
  attributes: Record<string, string>;
  messageId: string;
}

/** The emulator's answer to `subscriptions/{name}:pull` (REST). */
export interface PullResponse {
  receivedMessages?: Array<{ ackId: string; message: { data?: string; attributes?: Record<string, string>; messageId: string } }>;
}

function base(): string {
  const host = process.env.PUBSUB_EMULATOR_HOST;
  const project = process.env.GOOGLE_CLOUD_PROJECT;
  if (!host || !project) throw new Error('PUBSUB_EMULATOR_HOST and GOOGLE_CLOUD_PROJECT must be set (jest global setup)');
  return `http://${host}/v1/projects/${project}`;
}

async function call(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base()}/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

export interface TestTopic {
  topic: string;
  subscription: string;
  /** Pulls (and acks) until `count` messages arrived or timeoutMs passed, then once more to catch extras. */
  pull(count: number, timeoutMs?: number): Promise<PulledMessage[]>;
}

export async function createTopicWithSubscription(prefix: string): Promise<TestTopic> {
  const topic = uniqueName(prefix);
  const subscription = `${topic}-sub`;
  await call('PUT', `topics/${topic}`);
  await call('PUT', `subscriptions/${subscription}`, {
    topic: `projects/${process.env.GOOGLE_CLOUD_PROJECT}/topics/${topic}`,
    ackDeadlineSeconds: 60,
  });

  const pullOnce = async (): Promise<PulledMessage[]> => {
    const res = (await call('POST', `subscriptions/${subscription}:pull`, { maxMessages: 100, returnImmediately: true })) as PullResponse;
    const received = res.receivedMessages ?? [];
    if (received.length) await call('POST', `subscriptions/${subscription}:acknowledge`, { ackIds: received.map((m) => m.ackId) });
    return received.map((m) => ({
      data: Buffer.from(m.message.data ?? '', 'base64'),
      attributes: m.message.attributes ?? {},
      messageId: m.message.messageId,
    }));
  };

  return {
    topic,
    subscription,
    async pull(count, timeoutMs = 5000) {
      const messages: PulledMessage[] = [];
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count && Date.now() < deadline) {
        messages.push(...(await pullOnce()));
        if (messages.length < count) await new Promise((r) => setTimeout(r, 50));
      }
      messages.push(...(await pullOnce()));
      return messages;
    },
  };
}
