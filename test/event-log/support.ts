/**
 * Shared by the event-log and events-api tests: real listening servers for
 * registered functions, emulator topics and push subscriptions, valid
 * envelopes, and polling for what arrives asynchronously.
 */
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { assertEnvelope, contactId, conversationId, eventId, messageId, type Envelope, type EnvelopeMetadata } from '../../shared/envelope';
import type { Platform } from '../../shared/platforms';
import { toPushBody } from '../../shared/contracts/pubsub-push';

export interface Running {
  url: string;
  close(): Promise<void>;
}

/** A registered function behind a real HTTP server on a free port. */
export async function listen(name: string): Promise<Running> {
  const server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What serveApiWithLog runs: the events-api, the event log, and everything published on the topic. */
export interface ApiWithLog {
  api: Running;
  eventLog: Running;
  published: Collected;
}

/**
 * Serves the events-api registered as `apiTarget` and the event-log function,
 * pushes `topic` to the log, and collects every message published on it: what
 * an events-api test needs to see its events logged. Registers its own
 * beforeAll/afterAll; read the fields inside tests.
 */
export function serveApiWithLog(apiTarget: string, topic: string): ApiWithLog {
  const stack = {} as ApiWithLog;
  beforeAll(async () => {
    [stack.eventLog, stack.api] = await Promise.all([listen('eventLog'), listen(apiTarget)]);
    await createTopic(topic);
    await pushSubscription(`${topic}-log`, topic, stack.eventLog.url);
    stack.published = await collect(topic, `${topic}-watch`);
  });
  afterAll(async () => {
    await stack.published.stop();
    await Promise.all([stack.eventLog.close(), stack.api.close()]);
  });
  return stack;
}

let client: PubSub | undefined;
export const pubsub = () => (client ??= new PubSub({ projectId: process.env.GOOGLE_CLOUD_PROJECT }));

export async function createTopic(name: string): Promise<void> {
  await pubsub().createTopic(name);
}

/** A push subscription delivering to `endpoint` (path shaped as the framework expects). */
export async function pushSubscription(
  name: string,
  topic: string,
  endpoint: string,
  deadLetter?: { topic: string; maxDeliveryAttempts: number },
): Promise<void> {
  await pubsub()
    .topic(topic)
    .createSubscription(name, {
      pushConfig: { pushEndpoint: `${endpoint}/projects/${process.env.GOOGLE_CLOUD_PROJECT}/topics/${topic}` },
      ackDeadlineSeconds: 10,
      retryPolicy: { minimumBackoff: { seconds: 0 }, maximumBackoff: { seconds: 1 } },
      ...(deadLetter
        ? {
            deadLetterPolicy: {
              deadLetterTopic: pubsub().topic(deadLetter.topic).name,
              maxDeliveryAttempts: deadLetter.maxDeliveryAttempts,
            },
          }
        : {}),
    });
}

/** Collects every message of a pull subscription as it arrives. */
export interface Collected {
  messages: Message[];
  stop(): Promise<void>;
}

export async function collect(topic: string, name: string): Promise<Collected> {
  const [sub] = await pubsub().topic(topic).createSubscription(name);
  const messages: Message[] = [];
  sub.on('message', (m: Message) => {
    messages.push(m);
    m.ack();
  });
  return { messages, stop: () => sub.close() };
}

export interface MessageOptions {
  workspaceId: string;
  blockId?: string;
  platform?: Platform;
  user?: string;
  rawId: string;
  at: string;
  text?: string;
  metadata?: Partial<EnvelopeMetadata>;
}

/** A valid messaging.message.received envelope, as the normalizer would make it. */
export function messageEnvelope(o: MessageOptions): Envelope {
  const platform = o.platform ?? 'instagram';
  const blockId = o.blockId ?? 'blk_ig';
  const user = o.user ?? 'u1';
  return assertEnvelope({
    id: eventId({ platform, blockId, type: 'messaging.message.received', rawId: o.rawId }),
    type: 'messaging.message.received',
    workspace_id: o.workspaceId,
    block_id: blockId,
    platform,
    timestamp: o.at,
    data: {
      contact_id: contactId(o.workspaceId, blockId, user),
      conversation_id: conversationId(o.workspaceId, blockId, user),
      contact: { platform_user_id: user },
      conversation: { platform_conversation_id: user, kind: 'direct' },
      message: {
        id: messageId(blockId, o.rawId),
        platform_message_id: o.rawId,
        direction: 'inbound',
        type: 'text',
        text: o.text ?? 'Hi',
        attachments: [],
      },
    },
    metadata: { raw_platform_event_id: o.rawId, source: 'webhook', ...o.metadata },
  });
}

/** The Pub/Sub message an envelope is published as (publish.ts attributes). */
export { envelopeAttributes } from '../../shared/envelope/publish';

/** POSTs a push body the way a push subscription would. */
export async function push(
  url: string,
  message: { data: Buffer | string; attributes?: Record<string, string> },
  subscription: string,
  deliveryAttempt = 1,
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(toPushBody(message, subscription, deliveryAttempt)),
  });
}
