/**
 * Messenger, Instagram and WhatsApp Blocks connected through the blocks API,
 * then their first message through the pipeline as `npm start` runs it: the
 * three Meta webhook functions, normalizer, contacts, triggers and event-log
 * in their own functions-framework processes on the jest run's emulators
 * (under a project id of their own), the real blocks API handler in this
 * process, and the local fake of the Graph API (scripts/lib/fakes/meta-graph.ts)
 * performing the hub.challenge handshake against the stack's webhook function
 * and delivering the message signed with the app secret. Each message must
 * end as an event log entry with status `success` in the Block's workspace,
 * and platform.webhook.verified and platform.block.connected must be there too.
 */
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createBlocksApi } from '../../shared/blocks/app';
import { DEFAULT_BLOCK_SECRETS_DATABASE } from '../../shared/contracts/blocks';
import { createEnvelopePublisher } from '../../shared/envelope/publish';
import type { Connector } from '../../shared/platform-kit/connect';
import type { Platform } from '../../shared/platforms';
import { instagramConnector } from '../../shared/platforms/instagram/connect';
import { messengerConnector } from '../../shared/platforms/messenger/connect';
import { whatsappConnector } from '../../shared/platforms/whatsapp/connect';
import { createLogger } from '../../shared/runtime/log';
import { DEMO_ENV_SECRETS } from '../../scripts/lib/demo';
import { waitForRequest } from '../../scripts/lib/observe';
import { startStack, type Stack } from '../../scripts/lib/stack';
import { FakeMetaGraph } from '../../scripts/lib/fakes/meta-graph';
import { listen, request } from '../helpers/http-client';
import { until } from '../helpers/wait';

jest.setTimeout(120_000);

const run = randomBytes(4).toString('hex');
const WS = `ws_e2e_meta_${run}`;
const n = parseInt(run.slice(0, 6), 16);
const APP_ID = `8${n}`;
const PAGE = { id: `40${n}`, name: `E2E Page ${run}`, instagram: { id: `178415${n}`, username: `e2e_${run}` } };
const PAGE_TOKEN = `EAAE2EPage${run}${'p'.repeat(40)}`;
const WABA = { id: `50${n}`, phone_numbers: [{ id: `60${n}`, display_phone_number: '+1 555-0177', verified_name: `E2E ${run}` }] };
const WABA_TOKEN = `EAAE2EWaba${run}${'w'.repeat(40)}`;
const lines: string[] = [];
const logDir = mkdtempSync(path.join(tmpdir(), 'convotic-e2e-meta-'));
const saved = { id: process.env.META_APP_ID, secret: process.env.META_APP_SECRET, verify: process.env.META_VERIFY_TOKEN };

let stack: Stack;
const fake = new FakeMetaGraph(APP_ID, DEMO_ENV_SECRETS.META_APP_SECRET!);
let apiUrl: string;
let closeApi: () => Promise<void>;

beforeAll(async () => {
  await fake.start();
  stack = await startStack({
    projectId: `convotic-e2e-meta-${Date.now().toString(36)}`,
    pubsubHost: process.env.PUBSUB_EMULATOR_HOST,
    firestoreHost: process.env.FIRESTORE_EMULATOR_HOST,
    functionsPort: 'free',
    only: ['webhook-messenger', 'webhook-instagram', 'webhook-whatsapp', 'normalizer', 'contacts', 'triggers', 'event-log'],
    logDir,
    functionEnv: { LOG_FORMAT: 'json', LOG_LEVEL: 'debug' },
    onLine: (fn, line) => lines.push(`[${fn}] ${line}`),
    onNotice: () => undefined,
  });
  // The webhook functions run with the demo secrets (topology.json `secrets`); the blocks API here uses the same app.
  process.env.META_APP_ID = APP_ID;
  process.env.META_APP_SECRET = DEMO_ENV_SECRETS.META_APP_SECRET;
  process.env.META_VERIFY_TOKEN = DEMO_ENV_SECRETS.META_VERIFY_TOKEN;
  const connection = (connector: Connector, fn: string) => ({
    connector,
    apiBase: `${fake.url}/v23.0`,
    webhookUrl: `${stack.functions[fn]!.url}/`,
  });
  const api = createBlocksApi({
    stores: () => ({
      registry: stack.firestore,
      secrets: new Firestore({ projectId: stack.projectId, databaseId: DEFAULT_BLOCK_SECRETS_DATABASE }),
    }),
    publisher: () => createEnvelopePublisher(new PubSub({ projectId: stack.projectId }).topic('events')),
    platforms: {
      messenger: connection(messengerConnector as Connector, 'webhook-messenger'),
      instagram: connection(instagramConnector as Connector, 'webhook-instagram'),
      whatsapp: connection(whatsappConnector as Connector, 'webhook-whatsapp'),
    },
    logger: createLogger({ component: 'blocks-api' }, { write: (line) => lines.push(`[blocks-api] ${line}`) }),
  });
  const { http } = await import('@google-cloud/functions-framework');
  http('blocksApiMetaE2e', api);
  const listening = await listen(getTestServer('blocksApiMetaE2e') as Server);
  apiUrl = listening.baseUrl;
  closeApi = listening.close;
  fake.addPage(PAGE_TOKEN, PAGE);
  fake.addWaba(WABA_TOKEN, WABA);
}, 180_000);

afterAll(async () => {
  await closeApi?.();
  await stack?.stop();
  await fake.stop();
  writeFileSync(path.join(logDir, 'functions.log'), lines.join('\n'));
  for (const [key, value] of [
    ['META_APP_ID', saved.id],
    ['META_APP_SECRET', saved.secret],
    ['META_VERIFY_TOKEN', saved.verify],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

const now = () => Date.now();
const cases: Array<{ platform: Platform; object: string; credentials: Record<string, string>; body: (mid: string) => object }> = [
  {
    platform: 'messenger',
    object: 'page',
    credentials: { page_id: PAGE.id, access_token: PAGE_TOKEN },
    body: (mid) => ({
      object: 'page',
      entry: [
        {
          id: PAGE.id,
          time: now(),
          messaging: [{ sender: { id: `61${n}` }, recipient: { id: PAGE.id }, timestamp: now(), message: { mid, text: 'hello' } }],
        },
      ],
    }),
  },
  {
    platform: 'instagram',
    object: 'instagram',
    credentials: { page_id: PAGE.id, access_token: PAGE_TOKEN },
    body: (mid) => ({
      object: 'instagram',
      entry: [
        {
          id: PAGE.instagram.id,
          time: now(),
          messaging: [
            { sender: { id: `71${n}` }, recipient: { id: PAGE.instagram.id }, timestamp: now(), message: { mid, text: 'hello' } },
          ],
        },
      ],
    }),
  },
  {
    platform: 'whatsapp',
    object: 'whatsapp_business_account',
    credentials: { waba_id: WABA.id, phone_number_id: WABA.phone_numbers[0]!.id, access_token: WABA_TOKEN },
    body: (id) => ({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: WABA.id,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550177', phone_number_id: WABA.phone_numbers[0]!.id },
                contacts: [{ profile: { name: 'E' }, wa_id: '15550009999' }],
                messages: [{ from: '15550009999', id, timestamp: String(Math.floor(now() / 1000)), type: 'text', text: { body: 'hello' } }],
              },
            },
          ],
        },
      ],
    }),
  },
];

test.each(cases)('a connected $platform account’s first message is logged as success; the verification and connection too', async (c) => {
  // Each platform in a workspace of its own: the Messenger and Instagram Blocks share a Page.
  const ws = `${WS}_${c.platform}`;
  const connected = await request(apiUrl, {
    method: 'POST',
    path: `/workspaces/${ws}/blocks`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ platform: c.platform, credentials: c.credentials }),
  });
  expect(connected.status).toBe(201);
  const blockId = (connected.json() as { block: { block_id: string } }).block.block_id;
  expect(fake.handshakes.filter((h) => h.object === c.object)).toEqual([{ object: c.object, status: 200, echoed: true }]);

  expect(await fake.deliver(c.object, c.body(`e2e.${c.platform}.${run}`))).toBe(200);
  const requestId = (JSON.parse(fake.lastAnswer!.body) as { request_id: string }).request_id;
  const o = await waitForRequest(stack.firestore, ws, requestId, { timeoutMs: 60_000 });
  expect(o.settled).toBe(true);
  expect(o.entries).toEqual([expect.objectContaining({ type: 'messaging.message.received', status: 'success' })]);

  const log = stack.firestore.collection('workspaces').doc(ws).collection('event_log');
  for (const type of ['platform.webhook.verified', 'platform.block.connected']) {
    await until(
      `${type} in the event log; logs in ${logDir}`,
      async () => (await log.where('type', '==', type).where('block_id', '==', blockId).get()).size === 1,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  }
  expect(lines.filter((l) => [PAGE_TOKEN, WABA_TOKEN, DEMO_ENV_SECRETS.META_APP_SECRET!].some((s) => l.includes(s)))).toEqual([]);
});
