/**
 * A LINE channel connected through the blocks API, then its first message
 * event through the pipeline as `npm start` runs it: webhook-line, normalizer,
 * contacts, triggers and event-log in their own functions-framework
 * processes on the jest run's emulators (under a project id of their own),
 * the real blocks API handler in this process, and the local fake of the
 * Messaging API (scripts/lib/fakes/line-api.ts), whose webhook test the connect
 * passes through webhook-line and which signs the event with the channel
 * secret. The event must end as an event log entry with status `success`,
 * and platform.block.connected must be in the log too.
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
import { lineConnector } from '../../shared/platforms/line/connect';
import type { Connector } from '../../shared/platform-kit/connect';
import { createLogger } from '../../shared/runtime/log';
import { waitForRequest } from '../../scripts/lib/observe';
import { startStack, type Stack } from '../../scripts/lib/stack';
import { FakeLineApi } from '../../scripts/lib/fakes/line-api';
import { listen, request } from '../helpers/http-client';
import { until } from '../helpers/wait';

jest.setTimeout(120_000);

const run = randomBytes(4).toString('hex');
const WS = `ws_e2e_line_blocks_${run}`;
const SECRET = randomBytes(16).toString('hex');
const BOT = { userId: `U${run}${'e'.repeat(24)}`, basicId: `@e2e${run}`, displayName: `E2E ${run}`, channelSecret: SECRET };
const TOKEN = `e2e${run}${'T'.repeat(150)}=`;
const lines: string[] = [];
const logDir = mkdtempSync(path.join(tmpdir(), 'convotic-e2e-line-blocks-'));

let stack: Stack;
const fake = new FakeLineApi();
let apiUrl: string;
let closeApi: () => Promise<void>;

beforeAll(async () => {
  await fake.start();
  stack = await startStack({
    projectId: `convotic-e2e-line-blocks-${Date.now().toString(36)}`,
    pubsubHost: process.env.PUBSUB_EMULATOR_HOST,
    firestoreHost: process.env.FIRESTORE_EMULATOR_HOST,
    functionsPort: 'free',
    only: ['webhook-line', 'normalizer', 'contacts', 'triggers', 'event-log'],
    logDir,
    functionEnv: { LOG_FORMAT: 'json', LOG_LEVEL: 'debug' },
    onLine: (fn, line) => lines.push(`[${fn}] ${line}`),
    onNotice: () => undefined,
  });
  const api = createBlocksApi({
    stores: () => ({
      registry: stack.firestore,
      secrets: new Firestore({ projectId: stack.projectId, databaseId: DEFAULT_BLOCK_SECRETS_DATABASE }),
    }),
    publisher: () => createEnvelopePublisher(new PubSub({ projectId: stack.projectId }).topic('events')),
    platforms: {
      line: {
        connector: lineConnector as Connector,
        apiBase: fake.url,
        webhookUrl: `${stack.functions['webhook-line']!.url}/`,
      },
    },
    logger: createLogger({ component: 'blocks-api' }, { write: (line) => lines.push(`[blocks-api] ${line}`) }),
  });
  const { http } = await import('@google-cloud/functions-framework');
  http('blocksApiLineE2e', api);
  const listening = await listen(getTestServer('blocksApiLineE2e') as Server);
  apiUrl = listening.baseUrl;
  closeApi = listening.close;
  fake.addBot(TOKEN, BOT);
}, 180_000);

afterAll(async () => {
  await closeApi?.();
  await stack?.stop();
  await fake.stop();
  writeFileSync(path.join(logDir, 'functions.log'), lines.join('\n'));
});

test('a connected LINE channel’s first message event is logged as success; the connection is in the log too', async () => {
  const connected = await request(apiUrl, {
    method: 'POST',
    path: `/workspaces/${WS}/blocks`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ platform: 'line', credentials: { channel_access_token: TOKEN, channel_secret: SECRET } }),
  });
  expect(connected.status).toBe(201);
  const blockId = (connected.json() as { block: { block_id: string } }).block.block_id;

  const event = {
    type: 'message',
    mode: 'active',
    timestamp: Date.now(),
    webhookEventId: `01E2E${run}`,
    deliveryContext: { isRedelivery: false },
    replyToken: `rt${run}`,
    source: { type: 'user', userId: `Ue2e${run}` },
    message: { id: `m${run}`, type: 'text', quoteToken: `q${run}`, text: 'hello' },
  };
  expect(await fake.deliver(BOT.userId, [event])).toBe(200);
  const requestId = (JSON.parse(fake.lastAnswer!.body) as { request_id: string }).request_id;
  const o = await waitForRequest(stack.firestore, WS, requestId, { timeoutMs: 60_000 });
  expect(o.settled).toBe(true);
  expect(o.entries).toEqual([expect.objectContaining({ type: 'messaging.message.received', status: 'success' })]);

  const log = stack.firestore.collection('workspaces').doc(WS).collection('event_log');
  await until(
    `platform.block.connected in the event log; logs in ${logDir}`,
    async () => (await log.where('type', '==', 'platform.block.connected').where('block_id', '==', blockId).get()).size === 1,
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  expect(lines.filter((l) => l.includes(TOKEN) || l.includes(SECRET))).toEqual([]);
});
