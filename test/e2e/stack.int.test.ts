/**
 * The whole pipeline end to end, as `npm start` runs it: every function of
 * topology.json in its own functions-framework process, push subscriptions on
 * the Pub/Sub emulator, Firestore with the demo workspace. It reuses the jest
 * run's emulators under its own project id, so nothing it writes is seen by
 * other suites, and it stops every process it started.
 *
 * One signed webhook per platform must end as an event log entry with status
 * `success`, the right contact, and an execution of the demo keyword workflow;
 * a redelivery must change nothing; a wrong signature must be refused and
 * leave no trace.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Firestore } from '@google-cloud/firestore';
import { contactId, executionId } from '../../shared/envelope/ids';
import type { Platform } from '../../shared/platforms';
import { DEMO_BLOCKS, DEMO_WORKSPACE_ID } from '../../scripts/lib/demo';
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
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  writeFileSync(path.join(logDir, 'functions.log'), lines.map((l) => `[${l.fn}] ${l.line}`).join('\n'));
});

test('every function of topology.json runs', () => {
  expect({ skipped: stack.skipped, failed: stack.failed }).toEqual({ skipped: [], failed: [] });
  expect(stack.pubsubTopology.withoutEndpoint).toEqual([]);
});

describe.each(PLATFORMS)('%s', (platform) => {
  test('a signed text message is logged as success, with its contact and a keyword workflow execution', async () => {
    const answer = await post(sampleRequest(platform, 'text'));
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
