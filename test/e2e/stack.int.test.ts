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
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Firestore } from '@google-cloud/firestore';
import { blockSecretsDatabase } from '../../shared/contracts/blocks';
import { contactId, executionId } from '../../shared/envelope/ids';
import type { Platform } from '../../shared/platforms';
import { DEMO_BLOCKS, DEMO_CREDENTIALS, DEMO_ENV_SECRETS, DEMO_SECOND_TELEGRAM_BOT, DEMO_WORKSPACE_ID } from '../../scripts/lib/demo';
import { demoBlockSecret } from '../../scripts/lib/demo-seed';
import { waitForRequest, type Observation } from '../../scripts/lib/observe';
import { sampleRequest, signedHeaders, type WebhookRequest } from '../../scripts/lib/samples';
import { startStack, type Stack } from '../../scripts/lib/stack';
import { until } from '../helpers/wait';
import { TRACEPARENT_ATTRIBUTE, ORIGIN_RECEIVED_AT_ATTRIBUTE } from '../../shared/runtime/trace';
import { tapTopics, type TappedMessage } from './taps';

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

test("connecting the demo's Meta Blocks leaves nothing in Unrouted: Meta's verification requests are answered, not published", async () => {
  // The Graph fake verified our URL on each Meta webhook function while the seed connected the demo Blocks.
  for (const platform of ['instagram', 'messenger', 'whatsapp'])
    expect(logsOf(`webhook-${platform}`)).toContainEqual(expect.objectContaining({ outcome: 'handshake', status: 200 }));
  // An unroutable message sent now (a Page no Block has), once logged, is all Unrouted holds.
  const request = sampleRequest('messenger', 'text', { id: `unrouted-${Date.now()}` });
  const body = Buffer.from(request.body.toString('utf8').split(DEMO_BLOCKS.messenger.block.account_id).join('105999999999999'));
  const answer = await post({ platform: 'messenger', body, headers: signedHeaders('messenger', body) });
  expect(answer.status).toBe(200);
  await settled(answer.body.request_id!);
  const unrouted = await db.collection('unrouted_events').get();
  expect(unrouted.docs.map((d) => [d.get('rejection.reason'), d.get('request_id')])).toEqual([['unroutable', answer.body.request_id]]);
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

describe('one webhook, one trace (docs/operations.md#following-one-webhook)', () => {
  test('the same trace id on the lines of the edge, the normalizer, event-log, contacts and triggers, and on every message it caused', async () => {
    const taps = await tapTopics(stack.projectId, ['webhook-raw', 'events', 'webhook-rejected', 'workflow-executions']);
    try {
      // The platform's (or Cloud Run's) trace header: the edge continues that trace.
      const traceId = randomBytes(16).toString('hex');
      // One message for the demo page, and one for a page no Block has: envelopes and a rejection from one webhook.
      const sample = JSON.parse(sampleRequest('messenger', 'text', { id: `trace-${Date.now()}` }).body.toString('utf8')) as {
        entry: Array<Record<string, unknown>>;
      };
      sample.entry.push({ ...sample.entry[0]!, id: '999000000000001' });
      const body = Buffer.from(JSON.stringify(sample));
      const headers = { ...signedHeaders('messenger', body), traceparent: `00-${traceId}-00f067aa0ba902b7-01` };
      const answer = await post({ platform: 'messenger', body, headers });
      expect(answer.status).toBe(200);
      const o = await settled(answer.body.request_id!);
      const received = o.entries.find((e) => e.type === 'messaging.message.received')!;

      // Every message the webhook caused: its raw message, its envelopes and what they derived, the execution requests.
      const events = new Set(o.entries.filter((e) => e.id.startsWith('evt_')).map((e) => e.id));
      expect(o.entries.filter((e) => e.id.startsWith('rej_'))).toHaveLength(1);
      const executions = new Set(o.entries.flatMap((e) => e.execution_ids));
      expect(executions.size).toBeGreaterThan(0);
      const causedBy = (m: TappedMessage): boolean => {
        if (m.topic === 'webhook-raw') return m.attributes.request_id === answer.body.request_id;
        if (m.topic === 'workflow-executions') return executions.has(m.attributes.execution_id ?? '');
        if (m.topic !== 'events') return m.attributes.request_id === answer.body.request_id;
        const metadata = (JSON.parse(m.data.toString('utf8')) as { metadata?: { caused_by_event_id?: string } }).metadata;
        return events.has(m.attributes.event_id ?? '') || events.has(metadata?.caused_by_event_id ?? '');
      };
      const caused = (
        await taps.collect((all) => {
          const mine = all.filter(causedBy);
          const onEvents = new Set(mine.filter((m) => m.topic === 'events').map((m) => m.attributes.event_id));
          return (
            mine.some((m) => m.topic === 'webhook-raw') &&
            mine.some((m) => m.topic === 'webhook-rejected') &&
            [...events].every((id) => onEvents.has(id)) &&
            mine.some((m) => m.topic === 'events' && m.attributes.type === 'automation.workflow.started') &&
            [...executions].every((id) => mine.some((m) => m.topic === 'workflow-executions' && m.attributes.execution_id === id))
          );
        })
      ).filter(causedBy);
      const raw = caused.find((m) => m.topic === 'webhook-raw')!;
      expect(caused.length).toBeGreaterThanOrEqual(5);
      for (const m of caused) {
        expect({ topic: m.topic, traceparent: m.attributes[TRACEPARENT_ATTRIBUTE] }).toEqual({
          topic: m.topic,
          traceparent: expect.stringMatching(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`)),
        });
        // The edge's receive time travels too: the age metrics start there.
        expect(m.attributes[ORIGIN_RECEIVED_AT_ATTRIBUTE]).toBe(raw.attributes.received_at);
      }

      const traceName = `projects/${stack.projectId}/traces/${traceId}`;
      const traced = (fn: string) => logsOf(fn).filter((l) => l['logging.googleapis.com/trace'] === traceName);
      await eventually('every function to log a line of the trace', () =>
        ['webhook-messenger', 'normalizer', 'event-log', 'contacts', 'triggers'].every((fn) => traced(fn).length > 0),
      );
      for (const fn of ['webhook-messenger', 'normalizer', 'event-log', 'contacts', 'triggers']) {
        for (const line of traced(fn)) {
          expect(line).toMatchObject({ 'logging.googleapis.com/spanId': expect.stringMatching(/^[0-9a-f]{16}$/) });
          expect(line['logging.googleapis.com/trace_sampled']).toBe(true);
        }
      }
      // The edge's request line is in Cloud Logging's httpRequest shape; the consumers' lines give the event's age.
      expect(traced('webhook-messenger')).toContainEqual(
        expect.objectContaining({
          httpRequest: expect.objectContaining({ requestMethod: 'POST', status: 200, latency: expect.stringMatching(/s$/) }),
        }),
      );
      expect(traced('triggers')).toContainEqual(
        expect.objectContaining({ message: 'event processed', event_id: received.id, age_ms: expect.any(Number) }),
      );
      // The consumer whose report made the event `success` says how long that took from the POST.
      expect(
        [...traced('contacts'), ...traced('triggers')].filter((l) => l.event_id === received.id && l.success_age_ms !== undefined),
      ).toEqual([expect.objectContaining({ message: 'event processed', success_age_ms: expect.any(Number) })]);
    } finally {
      await taps.close();
    }
  });
});

describe('no secret in any log line', () => {
  test('secrets sent through every path (handshake, good and bad signatures, API calls) appear in no function output', async () => {
    const wrong = {
      verifyToken: `wrong-verify-token-${Date.now()}`,
      telegramToken: `wrong-telegram-token-${Date.now()}`,
      bearer: `Bearer ya29.secret-bearer-${Date.now()}`,
      botToken: `7000000099:AAsecret-unknown-bot-${Date.now()}`,
    };
    const url = (fn: string) => stack.functions[fn]!.url;
    // Meta's handshake, with the real verify token and a wrong one.
    for (const token of [DEMO_ENV_SECRETS.META_VERIFY_TOKEN!, wrong.verifyToken]) {
      const res = await fetch(`${url('webhook-messenger')}/?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=42`);
      expect([200, 403]).toContain(res.status);
    }
    // Signed POSTs, good and bad, on each kind of authentication.
    for (const platform of ['messenger', 'line', 'telegram'] as const) {
      expect((await post(sampleRequest(platform, 'text', { secret: demoSecretOf(platform) }))).status).toBe(200);
      expect(
        (await post(sampleRequest(platform, 'text', { secret: platform === 'telegram' ? wrong.telegramToken : 'not-the-secret' }))).status,
      ).toBe(401);
    }
    // The private APIs, with an Authorization header, and a connect whose bot token the platform refuses.
    for (const fn of ['events-api', 'blocks-api']) {
      await fetch(`${url(fn)}/workspaces/${DEMO_WORKSPACE_ID}/${fn === 'events-api' ? 'events' : 'blocks'}`, {
        headers: { authorization: wrong.bearer },
      });
    }
    await fetch(`${url('blocks-api')}/workspaces/${DEMO_WORKSPACE_ID}/blocks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: wrong.bearer },
      body: JSON.stringify({ platform: 'telegram', name: 'leak check', credentials: { bot_token: wrong.botToken } }),
    });
    const marker = sampleRequest('messenger', 'text', { id: `secrets-last-${Date.now()}` });
    await settled((await post(marker)).body.request_id!);

    const secrets = [
      ...Object.values(DEMO_ENV_SECRETS),
      sendSecrets.line!,
      sendSecrets.telegram!,
      DEMO_CREDENTIALS.telegram.bot_token,
      DEMO_CREDENTIALS.line.channel_access_token,
      DEMO_CREDENTIALS.messenger.access_token,
      DEMO_CREDENTIALS.instagram.access_token,
      DEMO_CREDENTIALS.whatsapp.access_token,
      DEMO_SECOND_TELEGRAM_BOT.bot_token,
      wrong.verifyToken,
      wrong.telegramToken,
      wrong.bearer.slice('Bearer '.length),
      wrong.botToken,
    ];
    expect(lines.length).toBeGreaterThan(0);
    const leaks = secrets.flatMap((secret) => lines.filter((l) => l.line.includes(secret)).map((l) => `${l.fn}: ${secret}`));
    expect(leaks).toEqual([]);
    // The API calls were logged (so the search above had their lines to look at), each as one request line in Cloud Logging's shape.
    for (const fn of ['events-api', 'blocks-api']) {
      expect(logsOf(fn)).toContainEqual(
        expect.objectContaining({
          message: 'request',
          httpRequest: expect.objectContaining({
            requestMethod: 'GET',
            requestUrl: `/workspaces/${DEMO_WORKSPACE_ID}/${fn === 'events-api' ? 'events' : 'blocks'}`,
          }),
        }),
      );
    }
    // Meta's handshake line shows the URL with its verify token redacted.
    expect(logsOf('webhook-messenger')).toContainEqual(
      expect.objectContaining({
        outcome: 'handshake',
        httpRequest: expect.objectContaining({ requestUrl: '/?hub.mode=subscribe&hub.verify_token=REDACTED&hub.challenge=42' }),
      }),
    );
  });
});
