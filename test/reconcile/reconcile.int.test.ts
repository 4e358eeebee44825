/**
 * Reconciliation on the emulators, as `npm start` runs the pipeline: a
 * stream of signed Messenger webhooks during which the normalizer "dies after
 * acknowledging" (its push subscription points at a sink that acks and drops
 * every message: what the emulator does to a backlog after the normalizer was
 * killed). Every one of them was answered 200 and its body stored, and none
 * reached the log. One reconciliation run replays exactly those; then every
 * acknowledged webhook's event is `success`, with one contact, one
 * conversation and one execution per message, and later runs change nothing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Firestore } from '@google-cloud/firestore';
import { DEMO_WORKSPACE_ID } from '../../scripts/lib/demo';
import { rawReceived, readRequest } from '../../scripts/lib/observe';
import { pushEndpoint } from '../../scripts/lib/pubsub-topology';
import { sampleRequest } from '../../scripts/lib/samples';
import { startStack, type Stack } from '../../scripts/lib/stack';
import { topology } from '../../shared/contracts/topology';
import { until } from '../helpers/wait';

jest.setTimeout(180_000);

const SENDER = '6100000000000001'; // scripts/samples/messenger/text.json
const NORMALIZER_SUBSCRIPTION = Object.entries(topology.subscriptions).find(([, s]) => s.push_to === 'normalizer')![0];
const logDir = mkdtempSync(path.join(tmpdir(), 'convotic-reconcile-'));

let stack: Stack;
let db: Firestore;
let sink: Server;
let dropped = 0;

beforeAll(async () => {
  stack = await startStack({
    projectId: `convotic-reconcile-${Date.now().toString(36)}`,
    pubsubHost: process.env.PUBSUB_EMULATOR_HOST,
    firestoreHost: process.env.FIRESTORE_EMULATOR_HOST,
    functionsPort: 'free',
    only: ['webhook-messenger', 'normalizer', 'contacts', 'triggers', 'event-log', 'events-api'],
    logDir,
    onLine: () => undefined,
    onNotice: () => undefined,
  });
  db = stack.firestore;
  // Acks every push and keeps nothing: a normalizer that died after Pub/Sub counted the message delivered.
  sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      dropped++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
}, 180_000);

afterAll(async () => {
  await new Promise((resolve) => sink?.close(resolve));
  await stack?.stop();
});

const pointNormalizerAt = (base: string) =>
  stack.pubsub.subscription(NORMALIZER_SUBSCRIPTION).modifyPushConfig({ pushEndpoint: pushEndpoint(base, stack.projectId, 'webhook-raw') });

async function send(n: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const request = sampleRequest('messenger', 'text', { id: `${tag}-${i}` });
    const res = await fetch(`${stack.functions['webhook-messenger']!.url}/`, {
      method: 'POST',
      headers: request.headers,
      body: new Uint8Array(request.body),
    });
    expect(res.status).toBe(200);
    ids.push(((await res.json()) as { request_id: string }).request_id);
  }
  return ids;
}

/** The request's one event entry, when it has reached `success`. */
async function succeeded(requestId: string): Promise<boolean> {
  const o = await readRequest(db, DEMO_WORKSPACE_ID, requestId);
  return o.entries.length === 1 && o.entries[0]!.status === 'success' && o.entries[0]!.execution_ids.length === 1;
}

const eventsApi = (p: string, init?: RequestInit) => fetch(`${stack.functions['events-api']!.url}${p}`, init);
const reconcileNow = async () => {
  const res = await eventsApi('/reconciliations', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ min_age_seconds: 0 }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { checked: number; found: number; events_published: number; outcomes: Record<string, number> };
};

it('replays exactly the acknowledged webhooks that never reached the log, once', async () => {
  const tag = Date.now().toString(36);
  const before = await send(4, `${tag}-before`);
  await until('the first webhooks succeed', async () => (await Promise.all(before.map(succeeded))).every(Boolean), { timeoutMs: 60_000 });

  // Mid-stream the normalizer "dies after acking": Pub/Sub hands it the messages and forgets them.
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  await pointNormalizerAt(sinkUrl);
  const lost = await send(6, `${tag}-lost`);
  await until('the sink acked every lost message', () => dropped >= lost.length, { timeoutMs: 60_000 });
  await until(
    'every lost body is stored',
    async () => (await Promise.all(lost.map((id) => rawReceived(db, 'messenger', id)))).every(Boolean),
    {
      timeoutMs: 60_000,
    },
  );
  await pointNormalizerAt(stack.functions.normalizer!.url);
  const after = await send(3, `${tag}-after`);
  await until('the later webhooks succeed', async () => (await Promise.all(after.map(succeeded))).every(Boolean), { timeoutMs: 60_000 });
  for (const id of lost) expect((await readRequest(db, DEMO_WORKSPACE_ID, id)).entries).toEqual([]);

  const first = await reconcileNow();
  expect(first.found).toBe(lost.length);
  expect(first.events_published).toBe(lost.length);
  expect(first.outcomes.replayed).toBe(lost.length);

  const all = [...before, ...lost, ...after];
  await until('every acknowledged webhook succeeds', async () => (await Promise.all(all.map(succeeded))).every(Boolean), {
    timeoutMs: 60_000,
  });

  // No duplicate effects: one contact and one conversation for the sender, one execution per message.
  const ws = db.collection('workspaces').doc(DEMO_WORKSPACE_ID);
  const contacts = (await ws.collection('contacts').where('platform_user_id', '==', SENDER).get()).docs.filter(
    (d) => !d.get('merged_into'),
  );
  expect(contacts).toHaveLength(1);
  const conversations = (await ws.collection('conversations').where('contact_id', '==', contacts[0]!.id).get()).docs;
  expect(conversations.filter((d) => !d.get('merged_into'))).toHaveLength(1);
  const executionIds = new Set<string>();
  for (const id of all)
    for (const e of (await readRequest(db, DEMO_WORKSPACE_ID, id)).entries) e.execution_ids.forEach((x) => executionIds.add(x));
  expect(executionIds.size).toBe(all.length);
  const executions = await db.getAll(...[...executionIds].map((id) => ws.collection('executions').doc(id)));
  expect(executions.every((d) => d.exists)).toBe(true);

  // The operators' list names each one found.
  const listed = (await (await eventsApi('/reconciliations?limit=200')).json()) as {
    items: Array<{ id: string; request_id: string; status: string; missing_events: number; replayed_event_ids: string[] }>;
    next_cursor: string | null;
  };
  const mine = listed.items.filter((i) => lost.includes(i.request_id));
  expect(mine.map((i) => i.request_id).sort()).toEqual([...lost].sort());
  expect(mine.every((i) => i.status === 'replayed' && i.missing_events === 1 && i.replayed_event_ids.length === 1)).toBe(true);

  // The next run sees the replays in the log and settles them; the one after has nothing left to read.
  const second = await reconcileNow();
  expect(second).toMatchObject({ found: 0, events_published: 0 });
  expect(second.outcomes.recovered).toBe(lost.length);
  const third = await reconcileNow();
  expect(third).toMatchObject({ checked: 0, found: 0 });
  const one = await eventsApi(`/reconciliations/${mine[0]!.id}`);
  expect(await one.json()).toMatchObject({ id: mine[0]!.id, status: 'recovered', attempts: 1 });
  expect((await eventsApi('/reconciliations/raw_nope')).status).toBe(404);
});
