/**
 * Loop prevention, pure: reading an event's causation chain (old and new
 * stamps), the two rules (no workflow twice in a chain, a maximum depth), the
 * chain each start hands on, and the refusal log line.
 */
import { assertEnvelope, executionId, type Envelope } from '../../shared/envelope';
import { createLogger } from '../../shared/runtime/log';
import { buildIndex } from '../../shared/triggers/compile';
import { causedBy, chainAfter, guardedMatch, logRefusal, type LoopRefusal } from '../../shared/triggers/loops';
import { chainOf, startRequest, workflowStarted } from '../../shared/triggers/publish';
import type { Trigger, WorkflowRecord } from '../../shared/workflows/model';
import { testEnvelopes } from '../helpers/envelopes';

const at = '2026-03-31T10:00:00.000Z';
const ws = 'ws_loops';
const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ig', platform: 'instagram' });
const wf = (id: string, triggers: Trigger[], priority = 0): WorkflowRecord => ({ id, name: id, status: 'active', priority, triggers });
const sentText = (id: string, text: string): Trigger => ({
  id,
  kind: 'event',
  event_type: 'messaging.message.sent',
  conditions: [{ path: 'data.message.text', op: 'eq', value: text }],
});

describe('causedBy: the chain an event carries', () => {
  it.each<[string, Parameters<typeof b.sent>[0]['metadata'], string[]]>([
    ['no cause', {}, []],
    ['a chain', { caused_by_workflow_ids: ['wf_a', 'wf_b'], caused_by_workflow_id: 'wf_b' }, ['wf_a', 'wf_b']],
    ['only the direct cause (before chains)', { caused_by_workflow_id: 'wf_a' }, ['wf_a']],
    [
      'a direct cause missing from the chain, appended last',
      { caused_by_workflow_ids: ['wf_a'], caused_by_workflow_id: 'wf_b' },
      ['wf_a', 'wf_b'],
    ],
  ])('%s', (_name, metadata, chain) => {
    expect(causedBy(b.sent({ user: 'u', at, text: 'x', metadata })).chain).toEqual(chain);
  });

  it('counts the workflow an automation.* event is about', () => {
    const started = workflowStarted(b.message({ user: 'u', at, text: 'hi' }), {
      execution_id: 'exe_1',
      workflow_id: 'wf_a',
      trigger_id: 't',
    });
    const { metadata: _m, ...bare } = started;
    const aboutOnly = assertEnvelope({ ...bare, metadata: { raw_platform_event_id: 'exe_1' } });
    expect(causedBy(aboutOnly).chain).toEqual(['wf_a']);
  });

  it('asks for a lookup only when the event names an execution and no workflow', () => {
    expect(causedBy(b.sent({ user: 'u', at, text: 'x', metadata: { caused_by_execution_id: 'exe_1' } }))).toEqual({
      chain: [],
      executionId: 'exe_1',
    });
    expect(
      causedBy(b.sent({ user: 'u', at, text: 'x', metadata: { caused_by_execution_id: 'exe_1', caused_by_workflow_ids: ['wf_a'] } })),
    ).toEqual({ chain: ['wf_a'] });
  });

  it('hands each start the event chain plus itself, leaving the event chain alone', () => {
    const chain = ['wf_a'];
    expect(chainAfter(chain, 'wf_b')).toEqual(['wf_a', 'wf_b']);
    expect(chain).toEqual(['wf_a']);
  });
});

describe('guardedMatch: no workflow twice in a chain', () => {
  // A answers "hi" and "pong" with "ping"; B answers "ping" with "pong". Unchecked, they ping-pong forever.
  const index = buildIndex([
    wf('wf_a', [{ id: 'hi', kind: 'message', keywords: [{ match: 'exact', value: 'hi' }] }, sentText('pong', 'pong')]),
    wf('wf_b', [sentText('ping', 'ping')]),
  ]);
  const reply = { hi: 'ping', pong: 'ping', ping: 'pong' } as Record<string, string>;

  it('runs A -> B -> A as A once, B once, then stops, saying why', () => {
    // A stand-in engine: each start sends its reply, stamped as the contract says.
    let event: Envelope = b.message({ user: 'u', at, text: 'hi' });
    const started: string[] = [];
    const refusals: LoopRefusal[] = [];
    for (let hop = 0; hop < 10; hop++) {
      const { chain } = causedBy(event);
      const decision = guardedMatch(index, event, chain, 8);
      refusals.push(...decision.refused);
      const start = decision.starts[0];
      if (!start) break;
      started.push(start.workflow_id);
      const planned = {
        ...start,
        execution_id: executionId(ws, start.workflow_id, event.id),
        caused_by_workflow_ids: chainAfter(chain, start.workflow_id),
      };
      const request = startRequest(event, planned);
      if (request.kind !== 'start') throw new Error('expected a start request');
      const text = reply[(event as { data: { message?: { text?: string } } }).data.message?.text ?? ''];
      event = b.sent({
        user: 'u',
        at,
        text,
        metadata: {
          caused_by_workflow_id: request.workflow_id,
          caused_by_execution_id: request.execution_id,
          caused_by_workflow_ids: request.caused_by_workflow_ids,
        },
      });
    }
    expect(started).toEqual(['wf_a', 'wf_b']);
    expect(refusals).toEqual([{ reason: 'in_causation_chain', workflow_ids: ['wf_a'], chain: ['wf_a', 'wf_b'] }]);
  });

  it('never lets A re-trigger itself (A -> A), with a chain or only the direct cause, saying why', () => {
    // A answers every message we send ("messaging.message.sent") with another one: unchecked, forever.
    const echo = buildIndex([wf('wf_a', [{ id: 'any_sent', kind: 'event', event_type: 'messaging.message.sent' }])]);
    const first = b.sent({ user: 'u', at, text: 'hello' });
    expect(guardedMatch(echo, first, causedBy(first).chain, 8)).toEqual({
      starts: [{ workflow_id: 'wf_a', trigger_id: 'any_sent', exclusive: false }],
      refused: [],
    });
    for (const metadata of [{ caused_by_workflow_ids: ['wf_a'] }, { caused_by_workflow_id: 'wf_a' }]) {
      const own = b.sent({ user: 'u', at, text: 'hello again', metadata });
      expect(guardedMatch(echo, own, causedBy(own).chain, 8)).toEqual({
        starts: [],
        refused: [{ reason: 'in_causation_chain', workflow_ids: ['wf_a'], chain: ['wf_a'] }],
      });
    }
  });

  it('stops A -> B -> A even when B is not the direct cause of the event A matches', () => {
    // The chain [A, B, C]: C's message matches A and D; A is refused, D (new to the chain) starts.
    const index4 = buildIndex([wf('wf_a', [sentText('x', 'x')]), wf('wf_d', [sentText('x', 'x')])]);
    const e = b.sent({ user: 'u', at, text: 'x', metadata: { caused_by_workflow_ids: ['wf_a', 'wf_b', 'wf_c'] } });
    expect(guardedMatch(index4, e, causedBy(e).chain, 8)).toEqual({
      starts: [{ workflow_id: 'wf_d', trigger_id: 'x', exclusive: false }],
      refused: [{ reason: 'in_causation_chain', workflow_ids: ['wf_a'], chain: ['wf_a', 'wf_b', 'wf_c'] }],
    });
  });

  it('sees only self-loops when events name just the direct cause (before chains)', () => {
    // B's "pong" names only B, so A starts again: why the engine must copy the chain.
    const pong = b.sent({ user: 'u', at, text: 'pong', metadata: { caused_by_workflow_id: 'wf_b' } });
    expect(guardedMatch(index, pong, causedBy(pong).chain, 8).starts.map((s) => s.workflow_id)).toEqual(['wf_a']);
  });

  it('lets the next-ranked trigger of a group win when the best one is in the chain, and reports the skipped one', () => {
    const keywords = buildIndex([
      wf('wf_top', [{ id: 'kw', kind: 'message', keywords: [{ match: 'contains', value: 'price' }] }], 10),
      wf('wf_next', [{ id: 'kw', kind: 'message', keywords: [{ match: 'contains', value: 'price' }] }], 1),
      wf('wf_other', [{ id: 'kw', kind: 'message', keywords: [{ match: 'contains', value: 'nothing' }] }], 5),
    ]);
    const e = b.message({ user: 'u', at, text: 'price?', metadata: { caused_by_workflow_ids: ['wf_top', 'wf_other'] } });
    expect(guardedMatch(keywords, e, causedBy(e).chain, 8)).toEqual({
      starts: [{ workflow_id: 'wf_next', trigger_id: 'kw', exclusive: true }],
      // wf_other is in the chain but did not match: nothing to report about it.
      refused: [{ reason: 'in_causation_chain', workflow_ids: ['wf_top'], chain: ['wf_top', 'wf_other'] }],
    });
  });

  it('refuses nothing for an event no workflow caused', () => {
    expect(guardedMatch(index, b.message({ user: 'u', at, text: 'hi' }), [], 8)).toEqual({
      starts: [expect.objectContaining({ workflow_id: 'wf_a' })],
      refused: [],
    });
  });
});

describe('guardedMatch: maximum depth', () => {
  const index = buildIndex([wf('wf_x', [sentText('go', 'go')]), wf('wf_y', [sentText('go', 'go')])]);
  const chainOfLength = (n: number) => Array.from({ length: n }, (_, i) => `wf_${i}`);
  const go = (chain: string[]) => b.sent({ user: 'u', at, text: 'go', metadata: { caused_by_workflow_ids: chain } });

  it('starts below the maximum', () => {
    const e = go(chainOfLength(2));
    expect(guardedMatch(index, e, causedBy(e).chain, 3)).toEqual({
      starts: [expect.objectContaining({ workflow_id: 'wf_x' }), expect.objectContaining({ workflow_id: 'wf_y' })],
      refused: [],
    });
  });

  it('starts nothing at the maximum, naming what it refused', () => {
    const e = go(chainOfLength(3));
    expect(guardedMatch(index, e, causedBy(e).chain, 3)).toEqual({
      starts: [],
      refused: [{ reason: 'max_chain_depth', workflow_ids: ['wf_x', 'wf_y'], chain: chainOfLength(3), depth: 3, max_depth: 3 }],
    });
  });

  it('says nothing at the maximum when nothing would have started anyway', () => {
    const e = b.sent({ user: 'u', at, text: 'stop', metadata: { caused_by_workflow_ids: chainOfLength(3) } });
    expect(guardedMatch(index, e, causedBy(e).chain, 3)).toEqual({ starts: [], refused: [] });
  });

  it('never builds a chain longer than the maximum', () => {
    // The deepest allowed start extends a chain of max - 1 to exactly max.
    const e = go(chainOfLength(2));
    const [start] = guardedMatch(index, e, causedBy(e).chain, 3).starts;
    expect(chainAfter(causedBy(e).chain, start!.workflow_id)).toHaveLength(3);
  });
});

describe('what a start hands on', () => {
  const e = b.message({ user: 'u', at, text: 'hi', metadata: {} });
  const planned = { execution_id: 'exe_b', workflow_id: 'wf_b', trigger_id: 't', caused_by_workflow_ids: ['wf_a', 'wf_b'] };

  it('puts the chain in the start request and on automation.workflow.started, which stays a valid envelope', () => {
    expect(startRequest(e, planned)).toMatchObject({ kind: 'start', caused_by_workflow_ids: ['wf_a', 'wf_b'] });
    const started = assertEnvelope(workflowStarted(e, planned));
    expect(started.metadata).toMatchObject({
      caused_by_workflow_id: 'wf_b',
      caused_by_workflow_ids: ['wf_a', 'wf_b'],
      caused_by_execution_id: 'exe_b',
    });
    expect(causedBy(started).chain).toEqual(['wf_a', 'wf_b']);
  });

  it('falls back to the workflow alone for a run recorded before chains', () => {
    expect(chainOf({ execution_id: 'exe_b', workflow_id: 'wf_b', trigger_id: 't' })).toEqual(['wf_b']);
  });
});

describe('logRefusal', () => {
  const capture = () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ event_id: 'evt_1' }, { level: 'DEBUG', format: 'json', write: (l) => lines.push(JSON.parse(l)) });
    return { lines, log };
  };

  it('logs a depth cut as a WARNING with the event id, the reason and the refused workflows', () => {
    const { lines, log } = capture();
    logRefusal(log, { reason: 'max_chain_depth', workflow_ids: ['wf_x'], chain: ['wf_a', 'wf_b'], depth: 2, max_depth: 2 });
    expect(lines).toEqual([
      expect.objectContaining({
        severity: 'WARNING',
        event_id: 'evt_1',
        outcome: 'loop_prevented',
        reason: 'max_chain_depth',
        workflow_ids: ['wf_x'],
        chain: ['wf_a', 'wf_b'],
        depth: 2,
        max_depth: 2,
      }),
    ]);
  });

  it('logs a cut loop as INFO with the event id and the reason', () => {
    const { lines, log } = capture();
    logRefusal(log, { reason: 'in_causation_chain', workflow_ids: ['wf_a'], chain: ['wf_a', 'wf_b'] });
    expect(lines).toEqual([
      expect.objectContaining({ severity: 'INFO', event_id: 'evt_1', reason: 'in_causation_chain', workflow_ids: ['wf_a'] }),
    ]);
  });
});

describe('causedBy at its edges', () => {
  it('an empty direct-cause stamp is no cause; the execution is looked up', () => {
    const m = b.message({ user: 'u', at, text: 'x' });
    const e = { ...m, metadata: { ...m.metadata, caused_by_workflow_id: '', caused_by_execution_id: 'exe_1' } } as Envelope;
    expect(causedBy(e)).toEqual({ chain: [], executionId: 'exe_1' });
  });
  it('data.workflow_id counts only on automation.* events', () => {
    const o = b.orderCreated({ at, orderId: 'o1' });
    const e = { ...o, data: { ...o.data, workflow_id: 'wf_a' } } as unknown as Envelope;
    expect(causedBy(e).chain).toEqual([]);
  });
});
