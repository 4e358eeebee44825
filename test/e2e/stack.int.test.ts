/**
 * The whole pipeline end to end, as `npm start` runs it: every function of
 * topology.json in its own functions-framework process, push subscriptions on
 * the Pub/Sub emulator, Firestore with the demo workspace. It reuses the jest
 * run's emulators under its own project id, so nothing it writes is seen by
 * other suites, and it stops every process it started.
 *
 * The demo workspace's five Blocks are connected through the blocks API
 * against the local fakes of the platform APIs (platform.block.connected in
 * the log for each), and `npm run blocks -- connect` connects the fake's
 * second demo bot. One signed webhook per platform, signed as `npm run send`
 * signs it (LINE's and Telegram's secret read from the block secrets
 * database), must end as an event log entry with status
 * `success`, the right contact, and an execution of the demo keyword workflow;
 * a redelivery must change nothing; a wrong signature must be refused and
 * leave no trace.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Firestore } from '@google-cloud/firestore';
import { blockSecretsDatabase } from '../../shared/contracts/blocks';
import { contactId, executionId } from '../../shared/envelope/ids';
import type { Platform } from '../../shared/platforms';
import { DEMO_BLOCKS, DEMO_SECOND_TELEGRAM_BOT, DEMO_WORKSPACE_ID } from '../../scripts/lib/demo';
import { demoBlockSecret } from '../../scripts/lib/demo-seed';
import { waitForRequest, type Observation } from '../../scripts/lib/observe';
import { sampleRequest, type WebhookRequest } from '../../scripts/lib/samples';
import { startStack, type Stack } from '../../scripts/lib/stack';
import { until } from '../helpers/wait';

jest.setTimeout(120_000);

/** The platform user of each `text` sample (scripts/samples/<platform>/text.json). */
const SENDER: Record<Platform, string> = {
  messenger: '6100000000000001',
  instagram: '7100000000000001',
  whatsapp: '15551230001',
  line: 'U4af49806290000000000000000000001',
  telegram: '5000000001',
};
const PLATFORMS = Object.keys(SENDER) as Platform[];
const KEYWORD_WORKFLOW = 'wf_demo_pricing';

let stack: Stack;
let db: Firestore;
const lines: Array<{ fn: string; line: string }> = [];
const notices: string[] = [];
const logDir = mkdtempSync(path.join(tmpdir(), 'convotic-e2e-'));

/** What `npm run send` signs with: LINE's and Telegram's secret from the block secrets database (scripts/send.ts). */
const sendSecrets: Partial<Record<Platform, string>> = {};
function demoSecretOf(platform: Platform): string | undefined {
  return sendSecrets[platform];
}

async function post(request: WebhookRequest): Promise<{ status: number; body: { request_id?: string; error?: string } }> {
  const res = await fetch(`${stack.functions[`webhook-${request.platform}`]!.url}/`, {
    method: 'POST',
    headers: request.headers,
    body: new Uint8Array(request.body),
  });
  return { status: res.status, body: (await res.json()) as { request_id?: string; error?: string } };
}

async function settled(requestId: string): Promise<Observation> {
  const o = await waitForRequest(db, DEMO_WORKSPACE_ID, requestId, { timeoutMs: 60_000 });
  if (!o.settled) throw new Error(`request ${requestId} did not settle: ${JSON.stringify(o.entries)}; function logs in ${logDir}`);
  return o;
}

/** Parsed JSON log lines of one function (the stack runs them with LOG_FORMAT=json). */
function logsOf(fn: string): Array<Record<string, unknown>> {
  return lines
    .filter((l) => l.fn === fn && l.line.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l.line) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
}

/** Polls until `check` holds; the failure points at the functions' logs. */
function eventually(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  return until(`${what}; function logs in ${logDir}`, check, { timeoutMs: 60_000, intervalMs: 150 });
}

async function workspaceState(): Promise<string> {
  const ws = db.collection('workspaces').doc(DEMO_WORKSPACE_ID);
  const [log, executions, contacts] = await Promise.all([
    ws.collection('event_log').get(),
    ws.collection('executions').get(),
    ws.collection('contacts').get(),
  ]);
  return JSON.stringify({
    log: log.docs.map((d) => [d.id, d.get('status'), d.get('execution_ids') ?? []]),
    executions: executions.docs.map((d) => [d.id, d.get('workflow_id')]),
    contacts: contacts.docs.map((d) => d.id),
  });
}

beforeAll(async () => {
  stack = await startStack({
    projectId: `convotic-e2e-${Date.now().toString(36)}`,
    pubsubHost: process.env.PUBSUB_EMULATOR_HOST,
    firestoreHost: process.env.FIRESTORE_EMULATOR_HOST,
    functionsPort: 'free',
    logDir,
    functionEnv: { LOG_FORMAT: 'json', LOG_LEVEL: 'debug' },
    onLine: (fn, line) => lines.push({ fn, line }),
    onNotice: (m) => notices.push(m),
  });
  db = stack.firestore;
  const secretsDb = new Firestore({ projectId: stack.projectId, databaseId: blockSecretsDatabase(), ssl: false });
  try {
    for (const platform of ['telegram', 'line'] as const) sendSecrets[platform] = await demoBlockSecret(secretsDb, platform);
  } finally {
    await secretsDb.terminate();
  }
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  writeFileSync(path.join(logDir, 'functions.log'), lines.map((l) => `[${l.fn}] ${l.line}`).join('\n'));
});

test('every function of topology.json runs', () => {
  expect({ skipped: stack.skipped, failed: stack.failed }).toEqual({ skipped: [], failed: [] });
  expect(stack.pubsubTopology.withoutEndpoint).toEqual([]);
});

describe('the demo workspace, connected through the blocks API against the local fakes', () => {
  test('five Blocks connected, each with platform.block.connected in the event log', async () => {
    expect(stack.seed).toEqual(expect.objectContaining({ written: [], failed: [] }));
    expect(stack.seed!.connected.slice().sort()).toEqual(PLATFORMS.slice().sort());
    const res = await fetch(`${stack.functions['blocks-api']!.url}/workspaces/${DEMO_WORKSPACE_ID}/blocks`);
    const { blocks } = (await res.json()) as { blocks: Array<{ block_id: string; platform: string; account_id: string; status: string }> };
    expect(blocks.map((b) => [b.platform, b.block_id, b.account_id, b.status]).sort()).toEqual(
      PLATFORMS.map((p) => [p, DEMO_BLOCKS[p].block.block_id, DEMO_BLOCKS[p].block.account_id, 'connected']).sort(),
    );
    const log = db.collection('workspaces').doc(DEMO_WORKSPACE_ID).collection('event_log');
    await eventually('platform.block.connected for each demo Block', async () => {
      const snap = await log.where('type', '==', 'platform.block.connected').get();
      const ids = new Set(snap.docs.map((d) => d.get('block_id') as string));
      return PLATFORMS.every((p) => ids.has(DEMO_BLOCKS[p].block.block_id));
    });
    // The platforms' side, at the fakes: our local webhook URLs are registered.
    const fakes = stack.fakes!;
    expect(fakes.telegram.webhookOf(Number(DEMO_BLOCKS.telegram.block.account_id))?.url).toBe(
      `${stack.functions['webhook-telegram']!.url}/`,
    );
    expect(fakes.line.webhookOf(DEMO_BLOCKS.line.block.account_id)).toEqual({
      endpoint: `${stack.functions['webhook-line']!.url}/`,
      active: true,
    });
    for (const [object, platform] of [
      ['page', 'messenger'],
      ['instagram', 'instagram'],
      ['whatsapp_business_account', 'whatsapp'],
    ] as const) {
      expect(fakes.meta.subscription(object)?.callback_url).toBe(`${stack.functions[`webhook-${platform}`]!.url}/`);
    }
    expect(sendSecrets.telegram).toEqual(expect.any(String));
    expect(sendSecrets.line).toBe(DEMO_BLOCKS.line.secrets.line_channel_secrets![0]);
  });

  test('npm run blocks -- connect --platform telegram connects the second demo bot against the fake', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/blocks.ts', 'connect', '--platform', 'telegram', '--workspace', DEMO_WORKSPACE_ID, '--json'],
      {
        cwd: path.resolve(__dirname, '..', '..'),
        env: { ...process.env, TELEGRAM_BOT_TOKEN: DEMO_SECOND_TELEGRAM_BOT.bot_token, BLOCKS_API_URL: stack.functions['blocks-api']!.url },
      },
    );
    expect(JSON.parse(stdout)).toEqual(
      expect.objectContaining({
        created: true,
        block: expect.objectContaining({ platform: 'telegram', account_id: String(DEMO_SECOND_TELEGRAM_BOT.bot.id), status: 'connected' }),
      }),
    );
    expect(stack.fakes!.telegram.webhookOf(DEMO_SECOND_TELEGRAM_BOT.bot.id)?.url).toBe(`${stack.functions['webhook-telegram']!.url}/`);
  });
});

describe.each(PLATFORMS)('%s', (platform) => {
  test('a signed text message is logged as success, with its contact and a keyword workflow execution', async () => {
    // Telegram's secret token was made when npm start's seed connected the Block through the blocks API.
    const answer = await post(sampleRequest(platform, 'text', { secret: demoSecretOf(platform) }));
    expect(answer.status).toBe(200);
    expect(answer.body.request_id).toEqual(expect.any(String));

    const o = await settled(answer.body.request_id!);
    const received = o.entries.filter((e) => e.type === 'messaging.message.received');
    expect(received).toHaveLength(1);
    const entry = received[0]!;
    expect(entry.status).toBe('success');
    const block = DEMO_BLOCKS[platform].block;
    expect(entry.contact_id).toBe(contactId(DEMO_WORKSPACE_ID, block.block_id, SENDER[platform]));
    const contact = await db.collection('workspaces').doc(DEMO_WORKSPACE_ID).collection('contacts').doc(entry.contact_id!).get();
    expect(contact.get('platform_user_id')).toBe(SENDER[platform]);

    const execution = executionId(DEMO_WORKSPACE_ID, KEYWORD_WORKFLOW, entry.id);
    expect(entry.execution_ids).toContain(execution);
    expect(o.executions[execution]?.workflow_id).toBe(KEYWORD_WORKFLOW);
  });
});

test('a redelivered webhook changes nothing', async () => {
  const request = sampleRequest('messenger', 'text', { id: `redelivery-${Date.now()}` });
  const first = await post(request);
  expect(first.status).toBe(200);
  const o = await settled(first.body.request_id!);
  const eventId = o.entries.find((e) => e.type === 'messaging.message.received')!.id;
  const before = await workspaceState();

  const again = await post(request);
  expect(again.status).toBe(200);
  // Wait until both subscribers of `events` have handled the redelivered envelope, then compare.
  const handled = (fn: string) => logsOf(fn).filter((l) => l.event_id === eventId && l.message === 'event processed').length;
  await eventually('the redelivery to reach contacts and triggers', () => handled('contacts') >= 2 && handled('triggers') >= 2);
  expect(await workspaceState()).toBe(before);
});

test('a wrong signature is refused and leaves no trace', async () => {
  const mid = (request: WebhookRequest) =>
    (JSON.parse(request.body.toString('utf8')) as { entry: Array<{ messaging: Array<{ message: { mid: string } }> }> }).entry[0]!
      .messaging[0]!.message.mid;
  const eventLog = db.collection('workspaces').doc(DEMO_WORKSPACE_ID).collection('event_log');

  const forged = sampleRequest('messenger', 'text', { id: `forged-${Date.now()}`, secret: 'not-the-app-secret' });
  const answer = await post(forged);
  expect(answer.status).toBe(401);
  expect(answer.body.request_id).toBeUndefined();
  expect(logsOf('webhook-messenger')).toContainEqual(expect.objectContaining({ outcome: 'rejected', reason: 'bad_signature' }));

  // A genuine webhook sent right after it goes through, and is found the way the
  // forged one would have been (by its platform event id): the pipeline was flowing.
  const genuine = sampleRequest('messenger', 'text', { id: `genuine-${Date.now()}` });
  const accepted = await post(genuine);
  expect(accepted.status).toBe(200);
  await settled(accepted.body.request_id!);
  expect((await eventLog.where('raw_platform_event_id', '==', mid(genuine)).get()).size).toBe(1);
  expect((await eventLog.where('raw_platform_event_id', '==', mid(forged)).get()).size).toBe(0);
  expect((await db.collection('unrouted_events').where('raw_platform_event_id', '==', mid(forged)).get()).size).toBe(0);
});
