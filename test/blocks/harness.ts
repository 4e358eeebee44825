/**
 * What the blocks integration tests share: the real blocks-api and webhook
 * functions (functions-framework servers) on the emulators' Firestore and
 * Pub/Sub, with a local fake of the platform API, a raw and an events topic
 * of their own, and everything the functions wrote to stdout (their log
 * lines), every API answer and every message pulled, kept for the tests'
 * "no secret anywhere" checks.
 *
 * `blocksHarness()` registers its own beforeAll and afterAll: a file's own
 * beforeAll (adding bots to the fake, say) runs after it.
 */
import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { BLOCK_SECRETS, blockStores } from '../../shared/contracts/blocks';
import type { Platform } from '../../shared/platforms';
import { listen, request, type HttpResult } from '../helpers/http-client';
import { createTopicWithSubscription, type PulledMessage, type TestTopic } from '../helpers/pubsub-emulator';

export interface BlocksHarnessOptions {
  /** The topics are `<topics>-raw` and `<topics>-events`. */
  topics: string;
  /** The fake platform API: started before the functions, stopped after them. */
  fake: { start(): Promise<unknown>; stop(): Promise<void> };
  /** Environment the functions read (API bases, app secrets, log level), set once the fake has started. */
  env: () => Record<string, string>;
  /** The platforms whose webhook functions (functions/webhook-<platform>) run; each one's URL is WEBHOOK_URL_<PLATFORM>. */
  webhooks: Platform[];
}

export type PublishedEvent = { type: string; block_id: string; data: Record<string, unknown> };

export interface BlocksHarness {
  readonly apiUrl: string;
  /** Each webhook function's URL (what the connect registers). */
  readonly hooks: Partial<Record<Platform, string>>;
  readonly raw: TestTopic;
  readonly events: TestTopic;
  readonly logLines: string[];
  readonly answers: string[];
  readonly published: PulledMessage[];
  /** A call of the blocks API; its answer is kept. */
  api(method: 'GET' | 'POST', path: string, body?: object): Promise<HttpResult>;
  /** The events published since the last call (waits for `count`, then makes sure there are no more). */
  newEvents(count: number, timeoutMs?: number): Promise<PublishedEvent[]>;
  /** The raw messages published since the last call, kept like the events. */
  rawMessages(count: number, timeoutMs?: number): Promise<PulledMessage[]>;
  /** `npm run blocks` against this API: its exit code and output. */
  cli(args: string[], env?: Record<string, string>): Promise<{ code: number; out: string }>;
  /** Every log line, API answer and pulled message as [kind, text], the messages' kind `messageKind`: where no secret may be. */
  everything(messageKind?: string): string[][];
  /** The one event published since the last call is platform.block.connected for `block`. */
  expectConnectedEvent(block: ConnectedBlock): Promise<void>;
}

/** A Block as the connect answers it. */
export interface ConnectedBlock {
  block_id: string;
  workspace_id: string;
  platform: Platform;
  account_id: string;
  name: string;
}

/** The connect's answer: 201, the Block created and connected. */
export function expectCreated(res: HttpResult, block: ConnectedBlock): void {
  expect(res.status).toBe(201);
  expect(res.json()).toEqual({
    created: true,
    block: { ...block, status: 'connected', connected_at: expect.any(String) },
  });
}

/** The connect's answer when the platform refused the credentials: 400 bad_credentials, its message and code. */
export function expectBadCredentials(res: HttpResult, platform: Platform, message: string, platformCode: string): void {
  expect(res.status).toBe(400);
  expect(res.json()).toEqual({
    code: 'bad_credentials',
    type: '/problems/bad_credentials',
    title: 'Credentials refused by the platform',
    status: 400,
    instance: expect.any(String),
    request_id: expect.any(String),
    detail: `${platform}: ${message}`,
    details: { platform, platform_code: platformCode },
  });
}

/** The Block's document in the secrets database. */
export const secretsOf = (blockId: string) => blockStores().secrets.collection(BLOCK_SECRETS).doc(blockId);

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function blocksHarness(options: BlocksHarnessOptions): BlocksHarness {
  const closers: Array<() => Promise<void>> = [];
  let stdoutSpy: jest.SpyInstance | undefined;
  let raw: TestTopic;
  let events: TestTopic;
  let apiUrl = '';
  const h: BlocksHarness = {
    get apiUrl() {
      return apiUrl;
    },
    get raw() {
      return raw;
    },
    get events() {
      return events;
    },
    hooks: {},
    logLines: [],
    answers: [],
    published: [],
    async api(method, path, body) {
      const res = await request(apiUrl, {
        method,
        path,
        ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
      });
      h.answers.push(res.text);
      return res;
    },
    async newEvents(count, timeoutMs = 5000) {
      const messages = await events.pull(count, count === 0 ? 500 : timeoutMs);
      h.published.push(...messages);
      return messages.map((m) => JSON.parse(m.data.toString('utf8')) as PublishedEvent);
    },
    async rawMessages(count, timeoutMs = 5000) {
      const messages = await raw.pull(count, count === 0 ? 500 : timeoutMs);
      h.published.push(...messages);
      return messages;
    },
    async cli(args, env = {}) {
      try {
        const { stdout, stderr } = await promisify(execFile)(
          process.execPath,
          ['--import', 'tsx', path.join('scripts', 'blocks.ts'), ...args],
          { cwd: path.resolve(__dirname, '..', '..'), env: { ...process.env, BLOCKS_API_URL: apiUrl, ...env } },
        );
        return { code: 0, out: stdout + stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return { code: e.code ?? -1, out: (e.stdout ?? '') + (e.stderr ?? '') };
      }
    },
    async expectConnectedEvent(block) {
      const [event, ...more] = await h.newEvents(1);
      expect(more).toEqual([]);
      expect(event).toMatchObject({
        type: 'platform.block.connected',
        workspace_id: block.workspace_id,
        block_id: block.block_id,
        platform: block.platform,
        data: { account_id: block.account_id, account_name: block.name },
      });
    },
    everything(messageKind = 'event') {
      return [
        ...h.logLines.map((l) => ['log', l]),
        ...h.answers.map((a) => ['answer', a]),
        ...h.published.map((m) => [messageKind, m.data.toString('utf8') + JSON.stringify(m.attributes)]),
      ];
    },
  };

  beforeAll(async () => {
    await options.fake.start();
    closers.push(() => options.fake.stop());
    raw = await createTopicWithSubscription(`${options.topics}-raw`);
    events = await createTopicWithSubscription(`${options.topics}-events`);
    process.env.RAW_TOPIC = raw.topic;
    process.env.EVENTS_TOPIC = events.topic;
    process.env.BLOCK_CACHE_TTL_MS = '0';
    Object.assign(process.env, options.env());
    stdoutSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      h.logLines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });

    for (const platform of options.webhooks) {
      await import(`../../functions/webhook-${platform}`);
      const t = await listen(getTestServer(`webhook${capitalized(platform)}`) as Server);
      h.hooks[platform] = `${t.baseUrl}/`;
      process.env[`WEBHOOK_URL_${platform.toUpperCase()}`] = h.hooks[platform];
      closers.push(t.close);
    }
    await import('../../functions/blocks-api');
    const a = await listen(getTestServer('blocksApi') as Server);
    apiUrl = a.baseUrl;
    closers.push(a.close);
  });

  afterAll(async () => {
    stdoutSpy?.mockRestore();
    await Promise.all(closers.map((c) => c()));
  });

  return h;
}
