/**
 * Emulator harness for subscriber tests (contacts and triggers): serve a
 * registered HTTP function on a real port through the functions-framework,
 * deliver envelopes as Pub/Sub push bodies, read what a topic received
 * through a pull subscription on the emulator (its REST API), and make the
 * envelope an operator's replay of an event publishes.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { Envelope } from '../../shared/envelope';
import { fromEnvelope } from '../../shared/event-log/entry';
import { eventLogRef } from '../../shared/event-log/outcomes';
import { writeEntry } from '../../shared/event-log/writer';
import { replayEntry } from '../../shared/events-api/replay';
import { normalize } from '../../shared/normalize/normalize';
import { staticRouter } from '../../shared/normalize/router';
import type { Platform } from '../../shared/platforms';
import { getFirestore } from '../../shared/runtime/gcp';
import { toPushBody } from '../../shared/contracts/pubsub-push';
import { envelopeMessage } from '../helpers/envelopes';
import type { PullResponse } from '../helpers/pubsub-emulator';

export interface Served {
  /** POSTs the envelope as a push body; resolves with the HTTP status. */
  deliver(envelope: Envelope, attempt?: number): Promise<number>;
  close(): Promise<void>;
}

/** Serves a function registered with `http(name, ...)` on a free port. */
export async function serve(name: string, subscription = name): Promise<Served> {
  const server: Server = getTestServer(name);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    async deliver(envelope, attempt = 1) {
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(toPushBody(envelopeMessage(envelope), subscription, attempt)),
      });
      await res.arrayBuffer();
      return res.status;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const project = () => process.env.GOOGLE_CLOUD_PROJECT ?? 'convotic-test';
const api = (path: string) => `http://${process.env.PUBSUB_EMULATOR_HOST}/v1/projects/${project()}/${path}`;

async function call(method: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(api(path), { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

/** A message pulled from a tap; `data` is its JSON payload, parsed. */
export interface PulledMessage<T = unknown> {
  data: T;
  attributes: Record<string, string>;
}

export interface TopicTap<T = unknown> {
  topic: string;
  /** Every message published since the tap was made and not pulled yet. */
  drain(): Promise<PulledMessage<T>[]>;
}

/**
 * Creates a topic and a pull subscription on it. `T` is what the test knows
 * the topic's publishers send as JSON; the tap does not check it.
 */
export async function tapTopic<T = unknown>(topic: string): Promise<TopicTap<T>> {
  await call('PUT', `topics/${topic}`, {});
  const subscription = `${topic}-tap`;
  await call('PUT', `subscriptions/${subscription}`, { topic: `projects/${project()}/topics/${topic}`, ackDeadlineSeconds: 60 });
  return {
    topic,
    async drain() {
      const out: PulledMessage<T>[] = [];
      // The emulator may hand out a batch in pieces: pull until it answers empty.
      for (;;) {
        const { receivedMessages = [] } = (await call('POST', `subscriptions/${subscription}:pull`, {
          maxMessages: 1000,
          returnImmediately: true,
        })) as PullResponse;
        if (receivedMessages.length === 0) return out;
        for (const m of receivedMessages) {
          out.push({
            data: JSON.parse(Buffer.from(m.message.data ?? '', 'base64').toString('utf8')) as T,
            attributes: m.message.attributes ?? {},
          });
        }
        await call('POST', `subscriptions/${subscription}:acknowledge`, {
          ackIds: receivedMessages.map((m) => m.ackId),
        });
      }
    },
  };
}

/**
 * What `POST /workspaces/{ws}/events/{id}/replay` publishes for `original`:
 * its log entry is written as the event-log function writes it (with the
 * envelope), then the events-api's replay runs on it and its publisher keeps
 * the replay instead of publishing it, for the test to deliver.
 */
export async function replayOf(original: Envelope, idempotencyKey = 'test-replay'): Promise<Envelope> {
  const db = getFirestore();
  await writeEntry(db, fromEnvelope(original, { now: new Date(), retentionDays: 30 }));
  const entry = await eventLogRef(db, original.workspace_id, original.id).get();
  const replays: Envelope[] = [];
  const keep = {
    publish: async (e: Envelope) => {
      replays.push(e);
      return 'kept';
    },
  };
  await replayEntry({ db, publisher: keep }, original.workspace_id, entry, idempotencyKey);
  if (replays.length !== 1) throw new Error(`expected one replay of ${original.id}, got ${replays.length}`);
  return replays[0] as Envelope;
}

/** Fisher-Yates with a seeded generator: a "random" order that reproduces. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0 || 1;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export const workspaceDoc = (ws: string) => getFirestore().collection('workspaces').doc(ws);

/** The envelopes the normalizer makes of `body` for the Block, with no rejection. */
export function envelopeMaker(platform: Platform, blockId: string, receivedAt: string) {
  return async (ws: string, body: unknown): Promise<Envelope[]> => {
    const result = await normalize(
      { platform, kind: 'webhook', body: JSON.stringify(body), receivedAt, requestId: 'req' },
      staticRouter({ workspaceId: ws, blockId }),
    );
    expect(result.rejections).toEqual([]);
    return result.envelopes;
  };
}

/** The documents of a collection that are records, not redirects left by a merge. */
export const records = async (ws: string, collection: string) =>
  (await workspaceDoc(ws).collection(collection).get()).docs.map((d) => ({ id: d.id, ...d.data() })).filter((d) => !('merged_into' in d));

/** Where a document id leads now: itself, or the survivor its redirect (`merged_into`) names. */
export const leadsTo = async (ws: string, collection: string, id: string): Promise<string> => {
  const doc = (await workspaceDoc(ws).collection(collection).doc(id).get()).data();
  return typeof doc?.merged_into === 'string' ? leadsTo(ws, collection, doc.merged_into) : id;
};

/** What contacts derived for the workspace among what the tap received since its last drain. */
export const derivedFor = async (tap: TopicTap<Envelope>, ws: string): Promise<Envelope[]> =>
  (await tap.drain()).map((m) => m.data).filter((e) => e.workspace_id === ws && e.metadata.source === 'derived');

/** One person, however many ids: one contact created, merged at most once. */
export function expectOnePersonDerived(derived: Envelope[]): void {
  expect(derived.filter((e) => e.type === 'crm.contact.merged').length).toBeLessThanOrEqual(1);
  expect(derived.filter((e) => e.type === 'crm.contact.created')).toHaveLength(1);
}

/** The workspace holds one contact and one conversation (redirects left by merges aside). */
export async function expectOneContactAndConversation(ws: string): Promise<void> {
  expect(await records(ws, 'contacts')).toHaveLength(1);
  expect(await records(ws, 'conversations')).toHaveLength(1);
}
