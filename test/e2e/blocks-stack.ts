/**
 * What the e2e tests of connected Blocks share: the pipeline as `npm start`
 * runs it (the platform's webhook functions, normalizer, contacts, triggers
 * and event-log in their own functions-framework processes on the jest run's
 * emulators, under a project id of their own), the real blocks API handler in
 * this process connecting through a local fake of the platform API, every
 * log line kept (written to `<logDir>/functions.log` at the end), and the
 * checks each test makes: the connect answered 201, the delivered message
 * ends as an event log entry with status `success`, and the Block's own
 * events are in the workspace's event log.
 *
 * `e2eBlocksStack()` registers its own beforeAll and afterAll: a file's own
 * beforeAll (adding bots to the fake, say) runs after it.
 */
import type { Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createBlocksApi, type BlocksApiOptions } from '../../shared/blocks/app';
import { DEFAULT_BLOCK_SECRETS_DATABASE } from '../../shared/contracts/blocks';
import { createEnvelopePublisher } from '../../shared/envelope/publish';
import type { Platform } from '../../shared/platforms';
import { createLogger } from '../../shared/runtime/log';
import { waitForRequest } from '../../scripts/lib/observe';
import { startStack, type Stack } from '../../scripts/lib/stack';
import { listen, request } from '../helpers/http-client';
import { until } from '../helpers/wait';

export interface E2eBlocksOptions {
  /** Names the log folder (`convotic-e2e-<name>-…`) and the project id. */
  name: string;
  /** The webhook functions the stack runs besides normalizer, contacts, triggers and event-log. */
  webhooks: string[];
  /** The fake platform API: started first, stopped last. */
  fake: { start(): Promise<unknown>; stop(): Promise<void> };
  /** The functions-framework target the blocks API is served under. */
  target: string;
  /** The blocks API's platforms, against the fake and the stack's webhook functions. */
  platforms: (stack: Stack) => BlocksApiOptions['platforms'];
  /** Runs once the stack is up, before the blocks API is made. */
  beforeApi?: () => void;
}

export interface E2eBlocks {
  readonly stack: Stack;
  readonly logDir: string;
  /** Every line the functions and the blocks API logged. */
  readonly lines: string[];
  /** Connects a Block through the blocks API (expects 201); its block_id. */
  connect(ws: string, platform: Platform, credentials: object): Promise<string>;
  /** The delivery whose edge answer is `answerBody` ends in `ws`'s event log as one entry with status `success`. */
  expectLoggedSuccess(ws: string, answerBody: string): Promise<void>;
  /** An event of `type` for `blockId` reaches `ws`'s event log. */
  waitForLogged(ws: string, type: string, blockId: string): Promise<void>;
}

export function e2eBlocksStack(options: E2eBlocksOptions): E2eBlocks {
  const lines: string[] = [];
  const logDir = mkdtempSync(path.join(tmpdir(), `convotic-e2e-${options.name}-`));
  let stack: Stack | undefined;
  let apiUrl = '';
  let closeApi: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    await options.fake.start();
    stack = await startStack({
      projectId: `convotic-e2e-${options.name}-${Date.now().toString(36)}`,
      pubsubHost: process.env.PUBSUB_EMULATOR_HOST,
      firestoreHost: process.env.FIRESTORE_EMULATOR_HOST,
      functionsPort: 'free',
      only: [...options.webhooks, 'normalizer', 'contacts', 'triggers', 'event-log'],
      logDir,
      functionEnv: { LOG_FORMAT: 'json', LOG_LEVEL: 'debug' },
      onLine: (fn, line) => lines.push(`[${fn}] ${line}`),
      onNotice: () => undefined,
    });
    options.beforeApi?.();
    const s = stack;
    const api = createBlocksApi({
      stores: () => ({
        registry: s.firestore,
        secrets: new Firestore({ projectId: s.projectId, databaseId: DEFAULT_BLOCK_SECRETS_DATABASE }),
      }),
      publisher: () => createEnvelopePublisher(new PubSub({ projectId: s.projectId }).topic('events')),
      platforms: options.platforms(s),
      logger: createLogger({ component: 'blocks-api' }, { write: (line) => lines.push(`[blocks-api] ${line}`) }),
    });
    const { http } = await import('@google-cloud/functions-framework');
    http(options.target, api);
    const listening = await listen(getTestServer(options.target) as Server);
    apiUrl = listening.baseUrl;
    closeApi = listening.close;
  }, 180_000);

  afterAll(async () => {
    await closeApi?.();
    await stack?.stop();
    await options.fake.stop();
    writeFileSync(path.join(logDir, 'functions.log'), lines.join('\n'));
  });

  const eventLog = (ws: string) => stack!.firestore.collection('workspaces').doc(ws).collection('event_log');

  return {
    get stack() {
      return stack!;
    },
    logDir,
    lines,
    async connect(ws, platform, credentials) {
      const connected = await request(apiUrl, {
        method: 'POST',
        path: `/workspaces/${ws}/blocks`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ platform, credentials }),
      });
      expect(connected.status).toBe(201);
      return (connected.json() as { block: { block_id: string } }).block.block_id;
    },
    async expectLoggedSuccess(ws, answerBody) {
      const requestId = (JSON.parse(answerBody) as { request_id: string }).request_id;
      const o = await waitForRequest(stack!.firestore, ws, requestId, { timeoutMs: 60_000 });
      expect(o.settled).toBe(true);
      expect(o.entries).toEqual([expect.objectContaining({ type: 'messaging.message.received', status: 'success' })]);
    },
    async waitForLogged(ws, type, blockId) {
      await until(
        `${type} in the event log; logs in ${logDir}`,
        async () => (await eventLog(ws).where('type', '==', type).where('block_id', '==', blockId).get()).size === 1,
        { timeoutMs: 60_000, intervalMs: 200 },
      );
    },
  };
}
