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

/** The emulator's REST base for `projectId` (default: the jest global setup's project). */
function base(projectId = process.env.GOOGLE_CLOUD_PROJECT): string {
  const host = process.env.PUBSUB_EMULATOR_HOST;
  if (!host || !projectId) throw new Error('PUBSUB_EMULATOR_HOST and GOOGLE_CLOUD_PROJECT must be set (jest global setup)');
  return `http://${host}/v1/projects/${projectId}`;
}

/** One REST call to the emulator (`topics/x`, `subscriptions/y:pull`); a non-2xx answer throws with its body. */
export async function emulatorCall(method: string, path: string, body?: unknown, projectId?: string): Promise<unknown> {
  const res = await fetch(`${base(projectId)}/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

const call = (method: string, path: string, body?: unknown) => emulatorCall(method, path, body);

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
