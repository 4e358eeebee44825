/**
 * A Telegram bot connected through the blocks API, then its first update
 * through the pipeline as `npm start` runs it: webhook-telegram, normalizer,
 * contacts, triggers and event-log in their own functions-framework
 * processes on the jest run's emulators (under a project id of their own),
 * the real blocks API handler in this process, and the local fake of the Bot
 * API (scripts/lib/fakes/telegram-api.ts) delivering the update with the secret
 * token the connect registered. The update must end as an event log entry
 * with status `success`, and platform.block.connected must be in the log too.
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
import { telegramConnector } from '../../shared/platforms/telegram/connect';
import type { Connector } from '../../shared/platform-kit/connect';
import { createLogger } from '../../shared/runtime/log';
import { waitForRequest } from '../../scripts/lib/observe';
import { startStack, type Stack } from '../../scripts/lib/stack';
import { FakeTelegramApi } from '../../scripts/lib/fakes/telegram-api';
import { listen, request } from '../helpers/http-client';
import { until } from '../helpers/wait';

jest.setTimeout(120_000);

const run = randomBytes(4).toString('hex');
const WS = `ws_e2e_blocks_${run}`;
const BOT = { id: 800_000_000 + parseInt(run.slice(0, 5), 16), username: `e2e_${run}_bot` };
const TOKEN = `${BOT.id}:AAE${run}${'y'.repeat(30)}`;
const lines: string[] = [];
const logDir = mkdtempSync(path.join(tmpdir(), 'convotic-e2e-blocks-'));

let stack: Stack;
const fake = new FakeTelegramApi();
let apiUrl: string;
let closeApi: () => Promise<void>;

beforeAll(async () => {
  await fake.start();
  stack = await startStack({
    projectId: `convotic-e2e-blocks-${Date.now().toString(36)}`,
    pubsubHost: process.env.PUBSUB_EMULATOR_HOST,
    firestoreHost: process.env.FIRESTORE_EMULATOR_HOST,
    functionsPort: 'free',
    only: ['webhook-telegram', 'normalizer', 'contacts', 'triggers', 'event-log'],
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
      telegram: {
        connector: telegramConnector as Connector,
        apiBase: fake.url,
        webhookUrl: `${stack.functions['webhook-telegram']!.url}/`,
      },
    },
    logger: createLogger({ component: 'blocks-api' }, { write: (line) => lines.push(`[blocks-api] ${line}`) }),
  });
  const { http } = await import('@google-cloud/functions-framework');
  http('blocksApiE2e', api);
  const listening = await listen(getTestServer('blocksApiE2e') as Server);
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

test('a connected Telegram bot’s first update is logged as success; the connection is in the log too', async () => {
  const connected = await request(apiUrl, {
    method: 'POST',
    path: `/workspaces/${WS}/blocks`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ platform: 'telegram', credentials: { bot_token: TOKEN } }),
  });
  expect(connected.status).toBe(201);
  const blockId = (connected.json() as { block: { block_id: string } }).block.block_id;

  const update = {
    update_id: 1,
    message: {
      message_id: 1,
      date: Math.floor(Date.now() / 1000),
      chat: { id: 5000000009, type: 'private' },
      from: { id: 5000000009, is_bot: false, first_name: 'E' },
      text: 'hello',
    },
  };
  expect(await fake.deliver(BOT.id, update)).toBe(200);
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
  expect(lines.filter((l) => l.includes(TOKEN.split(':')[1]!) || fake.issuedSecretTokens.some((t) => l.includes(t)))).toEqual([]);
});
