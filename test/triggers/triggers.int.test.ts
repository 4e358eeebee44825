/**
 * The triggers subscriber on the emulators, through its HTTP function with
 * Pub/Sub push bodies: exactly one execution per (event, workflow) under
 * redelivery, Wait for Reply resumes, loop prevention (within and across
 * workflows, and the chain depth limit), crash safety, runs a replay
 * recovers after every delivery failed to publish them, and workflow changes
 * reaching the in-memory index.
 */
import { http } from '@google-cloud/functions-framework';
import { envelopeConsumer } from '../../shared/runtime/consumer';
import type { Timestamp } from '@google-cloud/firestore';
import { createTriggersService, triggersConfig } from '../../shared/triggers';
import { executionId, hashId, type Envelope } from '../../shared/envelope';
import type { EnvelopePublisher } from '../../shared/envelope/publish';
import { getFirestore, getTopic } from '../../shared/runtime/gcp';
import { createLogger } from '../../shared/runtime/log';
import type { ExecutionDoc, ExecutionRequest } from '../../shared/workflows/execution';
import type { Workflow } from '../../shared/workflows/model';
import { testEnvelopes } from '../helpers/envelopes';
import { replayOf, serve, tapTopic, type Served, type TopicTap } from '../contacts/harness';
import { resumeId, WAITING_FOR_REPLY_QUERY } from '../../shared/triggers/store';
import { topology } from '../../shared/contracts/topology';
import { uniqueName } from '../helpers/names';
import { until } from '../helpers/wait';

const EVENTS = uniqueName('triggers-events');
const EXECUTIONS = uniqueName('triggers-executions');
process.env.EVENTS_TOPIC = EVENTS;
process.env.EXECUTIONS_TOPIC = EXECUTIONS;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const entry = require('../../functions/triggers') as typeof import('../../functions/triggers');

const DAY_MS = 24 * 60 * 60 * 1000;
const at = (s: number) => new Date(Date.UTC(2026, 2, 31, 10, 0, 0) + s * 1000).toISOString();
const workspace = (ws: string) => getFirestore().collection('workspaces').doc(ws);
const putWorkflow = (ws: string, id: string, wf: Workflow | Record<string, unknown>) =>
  workspace(ws).collection('workflows').doc(id).set(wf);
const executions = async (ws: string) => (await workspace(ws).collection('executions').get()).docs.map((d) => d.data() as ExecutionDoc);
const mine = <T extends { workspace_id: string }>(ws: string, items: T[]) => items.filter((x) => x.workspace_id === ws);

const keyword = (value: string, priority = 0): Workflow => ({
  name: `kw ${value}`,
  status: 'active',
  priority,
  triggers: [{ id: 'kw', kind: 'message', keywords: [{ match: 'contains', value }] }],
});

let events: TopicTap<Envelope>;
let requests: TopicTap<ExecutionRequest>;
let triggers: Served;
beforeAll(async () => {
  [events, requests] = await Promise.all([tapTopic<Envelope>(EVENTS), tapTopic<ExecutionRequest>(EXECUTIONS)]);
  triggers = await serve('triggers');
});
afterAll(async () => {
  await triggers?.close();
  entry.service.close();
});

const drain = async (ws: string) => ({
  requests: mine(
    ws,
    (await requests.drain()).map((m) => m.data),
  ),
  events: mine(
    ws,
    (await events.drain()).map((m) => m.data),
  ),
});

describe('triggers: exactly one execution per (event, workflow)', () => {
  it('turns three deliveries of a matching message into one execution, one start request and one started event', async () => {
    const ws = uniqueName('ws');
    await putWorkflow(ws, 'wf_price', keyword('preço', 1));
    await putWorkflow(ws, 'wf_other', keyword('preço', 0));
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_wa', platform: 'whatsapp' });
    const e = b.message({ user: '5511', at: at(0), text: 'Qual o PRECO?' });

    for (let i = 1; i <= 3; i++) expect(await triggers.deliver(e, i)).toBe(204);

    const exe = executionId(ws, 'wf_price', e.id);
    const docs = await executions(ws);
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({
      execution_id: exe,
      workflow_id: 'wf_price',
      status: 'starting',
      start_published: true,
      contact_id: b.contactId('5511'),
      trigger_event_id: e.id,
    });

    const out = await drain(ws);
    expect(out.requests).toHaveLength(1);
    expect(out.requests[0]).toMatchObject({
      kind: 'start',
      request_id: exe,
      execution_id: exe,
      workflow_id: 'wf_price',
      trigger_id: 'kw',
      conversation_id: b.conversationId('5511'),
    });
    expect((out.requests[0]!.trigger_event as Envelope).id).toBe(e.id);
    expect(out.events.map((x) => x.type)).toEqual(['automation.workflow.started']);
    expect(out.events[0]).toMatchObject({
      data: { execution_id: exe, workflow_id: 'wf_price', trigger_event_id: e.id },
      metadata: { caused_by_workflow_id: 'wf_price', source: 'derived' },
    });

    const logEntry = await workspace(ws).collection('event_log').doc(e.id).get();
    expect(logEntry.get('execution_ids')).toEqual([exe]);
  });

  it('starts nothing twice under concurrent deliveries', async () => {
    const ws = uniqueName('ws');
    await putWorkflow(ws, 'wf_hi', keyword('hi'));
    await putWorkflow(ws, 'wf_follow', { name: 'welcome', status: 'active', triggers: [{ id: 'f', kind: 'follow' }] });
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_line', platform: 'line' });
    const hi = b.message({ user: 'U1', at: at(0), text: 'hi' });
    const follow = b.follow({ user: 'U1', at: at(1) });

    const statuses = await Promise.all([hi, follow, hi, follow, hi].map((e, i) => triggers.deliver(e, i + 1)));

    expect(statuses.every((s) => s === 204)).toBe(true);
    expect((await executions(ws)).map((x) => x.workflow_id).sort()).toEqual(['wf_follow', 'wf_hi']);
    // Publishing is at least once (docs/subscribers.md): a delivery racing the one that
    // committed may send the same request again, identical and with the same
    // execution id, so the engine deduplicates it. One execution per workflow.
    const out = await drain(ws);
    const byExecution = new Map(out.requests.map((r) => [r.execution_id, r]));
    expect([...byExecution.values()].map((r) => r.workflow_id).sort()).toEqual(['wf_follow', 'wf_hi']);
    for (const r of out.requests) expect(r).toEqual(byExecution.get(r.execution_id));
  });
});

describe('triggers: Wait for Reply', () => {
  async function waitingExecution(ws: string, b: ReturnType<typeof testEnvelopes>, intercept: boolean): Promise<string> {
    const id = executionId(ws, 'wf_survey', 'evt_earlier');
    const doc: ExecutionDoc = {
      execution_id: id,
      workflow_id: 'wf_survey',
      workspace_id: ws,
      status: 'waiting',
      trigger_id: 't',
      trigger_event_id: 'evt_earlier',
      trigger_event_type: 'messaging.message.received',
      contact_id: b.contactId('U7'),
      conversation_id: b.conversationId('U7'),
      start_published: true,
      waiting_for: {
        kind: 'reply',
        contact_id: b.contactId('U7'),
        conversation_id: b.conversationId('U7'),
        step_id: 'ask_rating',
        intercept,
      },
      created_at: at(0),
      updated_at: at(0),
    };
    await workspace(ws).collection('executions').doc(id).set(doc);
    return id;
  }

  it('resumes the waiting execution once, instead of starting keyword workflows', async () => {
    const ws = uniqueName('ws');
    await putWorkflow(ws, 'wf_kw', keyword('5'));
    await putWorkflow(ws, 'wf_fallback', { name: 'default reply', status: 'active', triggers: [{ id: 'f', kind: 'fallback' }] });
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_tg', platform: 'telegram' });
    const waiting = await waitingExecution(ws, b, true);
    const reply = b.message({ user: 'U7', at: at(10), text: '5' });

    const statuses = await Promise.all([1, 2, 3].map((i) => triggers.deliver(reply, i)));
    expect(statuses).toEqual([204, 204, 204]);

    const docs = await executions(ws);
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ execution_id: waiting, status: 'resuming', resumed_by_event_id: reply.id });
    const out = await drain(ws);
    // Concurrent duplicates may each re-publish a decision not yet marked published
    // (at least once, by design); they carry one request id, which the engine dedupes on.
    expect(new Set(out.requests.map((r: { request_id: string }) => r.request_id))).toEqual(new Set([docs[0]!.resume_id]));
    for (const request of out.requests) expect(request).toEqual(out.requests[0]);
    expect(out.requests[0]).toMatchObject({ kind: 'resume', execution_id: waiting, step_id: 'ask_rating', request_id: docs[0]!.resume_id });
    expect(out.events).toEqual([]);
    expect((await workspace(ws).collection('event_log').doc(reply.id).get()).get('execution_ids')).toEqual([waiting]);

    // The next message is not a reply to anything any more: keywords apply again.
    const next = b.message({ user: 'U7', at: at(20), text: '5 stars' });
    expect(await triggers.deliver(next)).toBe(204);
    expect((await executions(ws)).map((x) => x.workflow_id).sort()).toEqual(['wf_kw', 'wf_survey']);
    await drain(ws);
  });

  it('resumes and still matches keywords when the step does not intercept', async () => {
    const ws = uniqueName('ws');
    await putWorkflow(ws, 'wf_kw', keyword('help'));
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_tg', platform: 'telegram' });
    const waiting = await waitingExecution(ws, b, false);
    await triggers.deliver(b.message({ user: 'U7', at: at(10), text: 'help' }));
    const out = await drain(ws);
    expect(out.requests.map((r) => `${r.kind}:${r.workflow_id}`).sort()).toEqual(['resume:wf_survey', 'start:wf_kw']);
    expect(out.requests.find((r) => r.kind === 'resume')?.execution_id).toBe(waiting);
  });
});

describe('triggers: Wait for Reply keyed on the contact the wait names', () => {
  /** An execution waiting for `waitFor`'s reply, started by an event about `startedBy` (null: no contact at all). */
  async function waitingFor(
    ws: string,
    workflowId: string,
    startedBy: { contact: string | null; conversation: string | null },
    waitFor: { contact: string; conversation: string },
  ): Promise<string> {
    const id = executionId(ws, workflowId, `evt_start_${workflowId}`);
    const doc: ExecutionDoc = {
      execution_id: id,
      workflow_id: workflowId,
      workspace_id: ws,
      status: 'waiting',
      trigger_id: 't',
      trigger_event_id: `evt_start_${workflowId}`,
      trigger_event_type: 'commerce.order.created',
      contact_id: startedBy.contact,
      conversation_id: startedBy.conversation,
      start_published: true,
      waiting_for: {
        kind: 'reply',
        contact_id: waitFor.contact,
        conversation_id: waitFor.conversation,
        step_id: 'ask_address',
        intercept: true,
      },
      created_at: at(0),
      updated_at: at(0),
    };
    await workspace(ws).collection('executions').doc(id).set(doc);
    return id;
  }
  const statusOf = async (ws: string, id: string) => (await workspace(ws).collection('executions').doc(id).get()).get('status');

  it('resumes an execution an event with no contact started (an order) when the contact it waits for replies', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_wa', platform: 'whatsapp' });
    const waiting = await waitingFor(
      ws,
      'wf_order_followup',
      { contact: null, conversation: null },
      { contact: b.contactId('5511'), conversation: b.conversationId('5511') },
    );
    const reply = b.message({ user: '5511', at: at(10), text: 'Rua Augusta 100' });

    // Duplicates, concurrently: one claim, one resume request id.
    expect(await Promise.all([1, 2].map((i) => triggers.deliver(reply, i)))).toEqual([204, 204]);

    expect(await statusOf(ws, waiting)).toBe('resuming');
    const out = await drain(ws);
    expect(new Set(out.requests.map((r) => `${r.kind}:${r.execution_id}`))).toEqual(new Set([`resume:${waiting}`]));
    expect((await workspace(ws).collection('event_log').doc(reply.id).get()).get('execution_ids')).toEqual([waiting]);
  });

  it('is resumed by the contact it waits for, not by the contact whose event started it', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_line', platform: 'line' });
    const group = { platform_conversation_id: 'C-team', kind: 'group' as const };
    // Ana's message in the group started a workflow that now asks Bia.
    const waiting = await waitingFor(
      ws,
      'wf_ask_bia',
      { contact: b.contactId('U-ana'), conversation: b.conversationId('C-team') },
      { contact: b.contactId('U-bia'), conversation: b.conversationId('C-team') },
    );

    expect(await triggers.deliver(b.message({ user: 'U-ana', at: at(10), text: 'any news?', conversation: group }))).toBe(204);
    expect(await statusOf(ws, waiting)).toBe('waiting');
    expect((await drain(ws)).requests).toEqual([]);

    const bia = b.message({ user: 'U-bia', at: at(20), text: 'on it', conversation: group });
    expect(await triggers.deliver(bia)).toBe(204);
    expect(await statusOf(ws, waiting)).toBe('resuming');
    expect((await drain(ws)).requests.map((r) => `${r.kind}:${r.execution_id}`)).toEqual([`resume:${waiting}`]);
  });

  it('has a composite index in topology.json for its query', () => {
    const q = WAITING_FOR_REPLY_QUERY;
    const indexed = topology.firestore.composite_indexes
      .filter((i) => i.collection_group === q.collection && i.query_scope === 'COLLECTION')
      .map((i) => i.fields.map((f) => `${f.field_path}:${f.order}`));
    expect(indexed).toContainEqual([`${q.contactField}:ASCENDING`, `${q.statusField}:ASCENDING`]);
  });
});

describe('triggers: no loops', () => {
  it('never lets a workflow trigger itself through its own events', async () => {
    const ws = uniqueName('ws');
    await putWorkflow(ws, 'wf_echo', {
      name: 'echo',
      status: 'active',
      triggers: [
        { id: 'any', kind: 'message' },
        { id: 'sent', kind: 'event', event_type: 'messaging.message.sent' },
        { id: 'started', kind: 'event', event_type: 'automation.workflow.started' },
      ],
    });
    await putWorkflow(ws, 'wf_audit', {
      name: 'audit',
      status: 'active',
      triggers: [{ id: 'started', kind: 'event', event_type: 'automation.workflow.started' }],
    });
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ig', platform: 'instagram' });

    await triggers.deliver(b.message({ user: 'u', at: at(0), text: 'hello' }));
    const first = await drain(ws);
    expect(first.requests.map((r) => r.workflow_id)).toEqual(['wf_echo']);
    const startedEvent = first.events[0]!;
    const exe = first.requests[0]!.execution_id;

    // Its started event and its outbound echo come back round through `events`.
    await triggers.deliver(startedEvent);
    await triggers.deliver(b.sent({ user: 'u', at: at(1), text: 'echo', metadata: { caused_by_execution_id: exe } }));
    const second = await drain(ws);
    expect(second.requests.map((r) => r.workflow_id)).toEqual(['wf_audit']);
    expect((await executions(ws)).map((x) => x.workflow_id).sort()).toEqual(['wf_audit', 'wf_echo']);
  });
});

describe('triggers: no loops across workflows', () => {
  // A answers "hi" and "pong" with "ping"; B answers "ping" with "pong". Unchecked, they ping-pong forever.
  const sentText = (id: string, value: string) =>
    ({ id, kind: 'event', event_type: 'messaging.message.sent', conditions: [{ path: 'data.message.text', op: 'eq', value }] }) as const;
  const reply: Record<string, string> = { wf_a: 'ping', wf_b: 'pong' };
  type Stamp = (r: Extract<ExecutionRequest, { kind: 'start' }>) => Partial<Envelope['metadata']>;
  const stamps: [string, Stamp][] = [
    [
      'the full chain (the engine contract)',
      (r) => ({
        caused_by_workflow_id: r.workflow_id,
        caused_by_execution_id: r.execution_id,
        caused_by_workflow_ids: r.caused_by_workflow_ids,
      }),
    ],
    ['only the execution id (chain read from the execution)', (r) => ({ caused_by_execution_id: r.execution_id })],
  ];

  it.each(stamps)('runs A -> B -> A as A once and B once, then stops, when the engine stamps %s', async (_name, stamp) => {
    const ws = uniqueName('ws');
    await putWorkflow(ws, 'wf_a', {
      name: 'a',
      status: 'active',
      triggers: [{ id: 'hi', kind: 'message', keywords: [{ match: 'exact', value: 'hi' }] }, sentText('pong', 'pong')],
    });
    await putWorkflow(ws, 'wf_b', { name: 'b', status: 'active', triggers: [sentText('ping', 'ping')] });
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ig', platform: 'instagram' });

    expect(await triggers.deliver(b.message({ user: 'u', at: at(0), text: 'hi' }))).toBe(204);
    // A stand-in engine: each start sends one message, stamped from its request;
    // automation.workflow.started comes back round through `events` too. Bounded, in case the loop is not cut.
    const starts: Extract<ExecutionRequest, { kind: 'start' }>[] = [];
    for (let hop = 1; hop <= 6; hop++) {
      const out = await drain(ws);
      const requested = out.requests.filter((r): r is Extract<ExecutionRequest, { kind: 'start' }> => r.kind === 'start');
      if (requested.length === 0 && out.events.length === 0) break;
      for (const e of out.events) expect(await triggers.deliver(e)).toBe(204);
      for (const r of requested) {
        starts.push(r);
        expect(await triggers.deliver(b.sent({ user: 'u', at: at(hop), text: reply[r.workflow_id], metadata: stamp(r) }))).toBe(204);
      }
    }

    expect(starts.map((r) => [r.workflow_id, r.caused_by_workflow_ids])).toEqual([
      ['wf_a', ['wf_a']],
      ['wf_b', ['wf_a', 'wf_b']],
    ]);
    const docs = await executions(ws);
    expect(docs.map((x) => [x.workflow_id, x.caused_by_workflow_ids]).sort()).toEqual([
      ['wf_a', ['wf_a']],
      ['wf_b', ['wf_a', 'wf_b']],
    ]);
  });

  it("puts the refusal's reason on the event's log entry (consumers.triggers.notes), not only in the function's log", async () => {
    const ws = uniqueName('ws');
    await putWorkflow(ws, 'wf_a', { name: 'a', status: 'active', triggers: [sentText('pong', 'pong')] });
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ig', platform: 'instagram' });
    // B's "pong", caused by A -> B: it matches A, which is already in its chain.
    const pong = b.sent({ user: 'u', at: at(0), text: 'pong', metadata: { caused_by_workflow_ids: ['wf_a', 'wf_b'] } });
    expect(await triggers.deliver(pong)).toBe(204);

    const logged = (await workspace(ws).collection('event_log').doc(pong.id).get()).data();
    expect(logged?.consumers?.triggers).toMatchObject({
      status: 'success',
      notes: [{ reason: 'in_causation_chain', workflow_ids: ['wf_a'], chain: ['wf_a', 'wf_b'], message: expect.stringContaining('loop') }],
    });
    expect(await executions(ws)).toEqual([]);
  });

  it('starts nothing for an event whose chain is at TRIGGERS_MAX_CHAIN_DEPTH, and logs why', async () => {
    const ws = uniqueName('ws');
    await putWorkflow(ws, 'wf_x', { name: 'x', status: 'active', triggers: [sentText('go', 'go')] });
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({}, { level: 'INFO', format: 'json', write: (l) => lines.push(JSON.parse(l)) });
    const service = createTriggersService({ config: { maxChainDepth: 2 }, logger });
    http('triggers-shallow', envelopeConsumer('triggers', service.handle, { logger }));
    const server = await serve('triggers-shallow', 'triggers');
    try {
      const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ig', platform: 'instagram' });
      const deep = b.sent({
        user: 'u',
        at: at(0),
        text: 'go',
        metadata: { caused_by_workflow_ids: ['wf_1', 'wf_2'], caused_by_workflow_id: 'wf_2' },
      });
      expect(await server.deliver(deep)).toBe(204);
      expect(await executions(ws)).toEqual([]);
      expect((await drain(ws)).requests).toEqual([]);
      expect(lines).toContainEqual(
        expect.objectContaining({
          severity: 'WARNING',
          event_id: deep.id,
          workspace_id: ws,
          reason: 'max_chain_depth',
          workflow_ids: ['wf_x'],
          depth: 2,
          max_depth: 2,
        }),
      );

      // One short of the limit still starts, and hands on a chain at the limit.
      const shallow = b.sent({
        user: 'u',
        at: at(1),
        text: 'go',
        metadata: { caused_by_workflow_ids: ['wf_1'], caused_by_workflow_id: 'wf_1' },
      });
      expect(await server.deliver(shallow)).toBe(204);
      const out = await drain(ws);
      expect(out.requests.map((r) => [r.workflow_id, r.kind === 'start' && r.caused_by_workflow_ids])).toEqual([
        ['wf_x', ['wf_1', 'wf_x']],
      ]);
      expect(out.events[0]?.metadata).toMatchObject({ caused_by_workflow_id: 'wf_x', caused_by_workflow_ids: ['wf_1', 'wf_x'] });
    } finally {
      await server.close();
      service.close();
    }
  });
});

describe('triggers: crash between commit and publish', () => {
  it('publishes the start request on the redelivery, even if the workflow was paused meanwhile', async () => {
    const ws = uniqueName('ws');
    await putWorkflow(ws, 'wf_buy', {
      name: 'buy',
      status: 'active',
      triggers: [{ id: 'p', kind: 'postback', payload: { match: 'equals', value: 'BUY' } }],
    });
    const real = getTopic(EXECUTIONS);
    let failures = 1;
    const flaky = Object.create(real) as typeof real;
    flaky.publishMessage = (async (m: Parameters<typeof real.publishMessage>[0]) => {
      if (failures-- > 0) throw new Error('simulated crash after commit');
      return real.publishMessage(m);
    }) as typeof real.publishMessage;
    const service = createTriggersService({ executions: flaky });
    http('triggers-flaky', envelopeConsumer('triggers', service.handle));
    const server = await serve('triggers-flaky', 'triggers');
    try {
      const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ms', platform: 'messenger' });
      const tap = b.postback({ user: 'P1', at: at(0), payload: 'BUY' });
      expect(await server.deliver(tap, 1)).toBe(500);
      expect(await executions(ws)).toMatchObject([{ workflow_id: 'wf_buy', start_published: false }]);

      // Read the version first: the snapshot may land before the write's promise resolves.
      const version = service.cache().version(ws);
      await putWorkflow(ws, 'wf_buy', { name: 'buy', status: 'paused', triggers: [] });
      await until('the workflow listener to see the change', () => service.cache().version(ws) > version, {
        timeoutMs: 10_000,
        intervalMs: 25,
      });

      expect(await server.deliver(tap, 2)).toBe(204);
      expect(await executions(ws)).toMatchObject([{ workflow_id: 'wf_buy', start_published: true }]);
      const out = await drain(ws);
      expect(out.requests.map((r) => r.workflow_id)).toEqual(['wf_buy']);
    } finally {
      await server.close();
      service.close();
    }
  });
});

describe('triggers: replay of an event whose run was never published', () => {
  // Pub/Sub down for every delivery attempt of the original, on both topics: it commits, then dead-letters.
  const outage = () => Promise.reject(new Error('simulated Pub/Sub outage'));
  let outageService: ReturnType<typeof createTriggersService>;
  let outageServer: Served;
  beforeAll(async () => {
    const downExecutions = Object.create(getTopic(EXECUTIONS)) as ReturnType<typeof getTopic>;
    downExecutions.publishMessage = outage as typeof downExecutions.publishMessage;
    const downEvents: EnvelopePublisher = { publish: outage };
    outageService = createTriggersService({ executions: downExecutions, events: downEvents });
    http('triggers-outage', envelopeConsumer('triggers', outageService.handle));
    outageServer = await serve('triggers-outage', 'triggers');
  });
  afterAll(async () => {
    await outageServer?.close();
    outageService?.close();
  });

  const runOf = async (ws: string, eventId: string) => (await workspace(ws).collection('trigger_runs').doc(eventId).get()).data();
  const executionOf = async (ws: string, id: string) =>
    (await workspace(ws).collection('executions').doc(id).get()).data() as ExecutionDoc | undefined;

  /** Every attempt fails to publish (the policy's count does not matter): the run is committed, the message dead-letters. */
  async function strand(event: Envelope): Promise<void> {
    for (let attempt = 1; attempt <= 3; attempt++) expect(await outageServer.deliver(event, attempt)).toBe(500);
    expect(await runOf(event.workspace_id, event.id)).toMatchObject({ published: false });
    expect(await drain(event.workspace_id)).toEqual({ requests: [], events: [] });
  }

  /** A replay whose event the log could not keep (an envelope over its size limit): what events-api's replay would publish from the webhook body. */
  const replayWithoutLoggedEnvelope = (original: Envelope): Envelope =>
    ({
      ...original,
      id: hashId('evt', ['replay', 'test-key', original.id]),
      metadata: { ...original.metadata, source: 'replay', replay_of: original.id, replay_of_entry: original.id, replay_origin: 'webhook' },
    }) as Envelope;

  it('publishes the start the first delivery committed once, marks it, starts nothing else, and a replay delivered again changes nothing', async () => {
    const ws = uniqueName('ws');
    await putWorkflow(ws, 'wf_buy', {
      name: 'buy',
      status: 'active',
      triggers: [{ id: 'p', kind: 'postback', payload: { match: 'equals', value: 'BUY' } }],
    });
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ms', platform: 'messenger' });
    const buy = b.postback({ user: 'P-out', at: at(0), payload: 'BUY' });
    const stranded = executionId(ws, 'wf_buy', buy.id);
    await strand(buy);
    expect(await executionOf(ws, stranded)).toMatchObject({ status: 'starting', start_published: false });

    const replay = await replayOf(buy);
    expect(await triggers.deliver(replay)).toBe(204);

    const out = await drain(ws);
    const strandedStarts = out.requests.filter((r) => r.execution_id === stranded);
    expect(strandedStarts).toHaveLength(1);
    // As the original's redelivery would send it: triggered by the original event, as the log kept it.
    expect(strandedStarts[0]).toMatchObject({ kind: 'start', request_id: stranded, workflow_id: 'wf_buy', trigger_event: buy });
    const strandedStarted = out.events.filter((e) => e.type === 'automation.workflow.started' && e.data.execution_id === stranded);
    expect(strandedStarted).toHaveLength(1);
    expect(strandedStarted[0]).toMatchObject({ data: { trigger_event_id: buy.id }, metadata: { caused_by_event_id: buy.id } });
    expect(await runOf(ws, buy.id)).toMatchObject({ published: true });
    expect(await executionOf(ws, stranded)).toMatchObject({ status: 'starting', start_published: true, trigger_event_id: buy.id });
    // The recovered start is the replay's effect: the workflow runs once, not again under the replay's own id.
    expect(out.requests.map((r) => r.execution_id)).toEqual([stranded]);
    expect(out.events).toHaveLength(1);
    expect(await runOf(ws, replay.id)).toMatchObject({ starts: [], resumes: [], published: true, recovered_event_id: buy.id });

    // Pub/Sub redelivers the replay, one after another and concurrently: still nothing of its own.
    expect(await triggers.deliver(replay, 2)).toBe(204);
    expect(await Promise.all([3, 4, 5].map((i) => triggers.deliver(replay, i)))).toEqual([204, 204, 204]);
    expect(await drain(ws)).toEqual({ requests: [], events: [] });
    expect((await executions(ws)).map((x) => x.execution_id)).toEqual([stranded]);
  });

  it('decides a replay as any event when its original has nothing stranded: workflows may run again', async () => {
    const ws = uniqueName('ws');
    await putWorkflow(ws, 'wf_buy', {
      name: 'buy',
      status: 'active',
      triggers: [{ id: 'p', kind: 'postback', payload: { match: 'equals', value: 'BUY' } }],
    });
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ms', platform: 'messenger' });
    const buy = b.postback({ user: 'P-again', at: at(0), payload: 'BUY' });
    expect(await triggers.deliver(buy)).toBe(204);
    await drain(ws);
    const replay = await replayOf(buy);
    expect(await triggers.deliver(replay)).toBe(204);
    expect((await drain(ws)).requests.map((r) => r.execution_id)).toEqual([executionId(ws, 'wf_buy', replay.id)]);
  });

  it('publishes a claimed resume once under concurrent first deliveries of the replay, which claims nothing more', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_tg', platform: 'telegram' });
    const waiting = executionId(ws, 'wf_survey', 'evt_earlier');
    await workspace(ws)
      .collection('executions')
      .doc(waiting)
      .set({
        execution_id: waiting,
        workflow_id: 'wf_survey',
        workspace_id: ws,
        status: 'waiting',
        trigger_id: 't',
        trigger_event_id: 'evt_earlier',
        trigger_event_type: 'messaging.message.received',
        contact_id: b.contactId('U8'),
        conversation_id: b.conversationId('U8'),
        start_published: true,
        waiting_for: {
          kind: 'reply',
          contact_id: b.contactId('U8'),
          conversation_id: b.conversationId('U8'),
          step_id: 'ask_rating',
          intercept: true,
        },
        created_at: at(0),
        updated_at: at(0),
      } satisfies ExecutionDoc);
    const reply = b.message({ user: 'U8', at: at(10), text: '5' });
    await strand(reply);
    const claimed = { status: 'resuming', resumed_by_event_id: reply.id, resume_id: resumeId(ws, waiting, reply.id) };
    expect(await executionOf(ws, waiting)).toMatchObject(claimed);

    // The entry the consumers' failure reports made, without the envelope the log writer would add.
    expect((await workspace(ws).collection('event_log').doc(reply.id).get()).get('envelope_json')).toBeUndefined();
    const replay = replayWithoutLoggedEnvelope(reply);
    expect(await Promise.all([1, 2, 3].map((i) => triggers.deliver(replay, i)))).toEqual([204, 204, 204]);

    // Concurrent deliveries may each publish the unpublished run, as concurrent redeliveries of the
    // original would: one request id, identical copies, which the engine dedupes.
    const out = await drain(ws);
    expect(new Set(out.requests.map((r) => r.request_id))).toEqual(new Set([claimed.resume_id]));
    for (const request of out.requests) expect(request).toEqual(out.requests[0]);
    // Without the logged envelope, the replay under the original's id and source is the trigger event.
    expect(out.requests[0]).toMatchObject({ kind: 'resume', execution_id: waiting, step_id: 'ask_rating', trigger_event: reply });
    expect(out.events).toEqual([]);
    expect(await runOf(ws, reply.id)).toMatchObject({ published: true });
    expect(await executionOf(ws, waiting)).toMatchObject(claimed);
    expect(await runOf(ws, replay.id)).toMatchObject({ starts: [], resumes: [], recovered_event_id: reply.id });

    expect(await triggers.deliver(replay, 4)).toBe(204);
    expect(await drain(ws)).toEqual({ requests: [], events: [] });
  });
});

describe('triggers: workflow documents', () => {
  it('skips an invalid workflow document and follows changes through the listener', async () => {
    const ws = uniqueName('ws');
    await putWorkflow(ws, 'wf_broken', { name: 'broken', status: 'active', triggers: [{ id: 'x', kind: 'telepathy' }] });
    await putWorkflow(ws, 'wf_ok', keyword('promo'));
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ig', platform: 'instagram' });
    expect(await triggers.deliver(b.message({ user: 'u', at: at(0), text: 'promo' }))).toBe(204);
    expect((await executions(ws)).map((x) => x.workflow_id)).toEqual(['wf_ok']);

    const version = entry.service.cache().version(ws);
    await putWorkflow(ws, 'wf_ok', { ...keyword('promo'), status: 'paused' });
    await until('the workflow listener to see the change', () => entry.service.cache().version(ws) > version, {
      timeoutMs: 10_000,
      intervalMs: 25,
    });
    await triggers.deliver(b.message({ user: 'u', at: at(1), text: 'promo again' }));
    expect(await executions(ws)).toHaveLength(1);
    await drain(ws);
  });
});

describe('triggers: retention', () => {
  it('keeps trigger runs for EVENT_LOG_RETENTION_DAYS, as long as the log entry of their event', async () => {
    const config = triggersConfig({ EVENT_LOG_RETENTION_DAYS: '7', EVENTS_TOPIC: EVENTS, EXECUTIONS_TOPIC: EXECUTIONS });
    expect(config.retentionDays).toBe(7);
    const service = createTriggersService({ config });
    http('triggers-retention', envelopeConsumer('triggers', service.handle));
    const server = await serve('triggers-retention', 'triggers');
    try {
      const ws = uniqueName('ws');
      await putWorkflow(ws, 'wf_hi', keyword('hi'));
      const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ig', platform: 'instagram' });
      const hi = b.message({ user: 'u', at: at(0), text: 'hi' });
      expect(await server.deliver(hi)).toBe(204);
      const run = (await workspace(ws).collection('trigger_runs').doc(hi.id).get()).data();
      expect((run?.expire_at as Timestamp).toMillis() - Date.parse(run?.created_at)).toBe(7 * DAY_MS);
      await drain(ws);
    } finally {
      await server.close();
      service.close();
    }
  });
});
