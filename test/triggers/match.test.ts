/** The pure matcher: tables of workflows x events -> which workflows start. */
import { buildIndex } from '../../shared/triggers/compile';
import { matchEvent } from '../../shared/triggers/match';
import { normalizeText } from '../../shared/triggers/text';
import { parseWorkflow, type Trigger, type WorkflowRecord } from '../../shared/workflows/model';
import type { Envelope } from '../../shared/envelope';
import { testEnvelopes } from '../helpers/envelopes';

const at = '2026-03-31T10:00:00.000Z';
const ig = testEnvelopes({ workspaceId: 'ws_m', blockId: 'blk_ig', platform: 'instagram' });
const line = testEnvelopes({ workspaceId: 'ws_m', blockId: 'blk_line', platform: 'line' });

const wf = (id: string, triggers: Trigger[], extra: Partial<WorkflowRecord> = {}): WorkflowRecord => ({ id, name: id, status: 'active', triggers, ...extra });
const started = (workflows: WorkflowRecord[], e: Envelope, exclude?: string[]) =>
  matchEvent(buildIndex(workflows), e, exclude ? { exclude: new Set(exclude) } : {}).map((s) => s.workflow_id).sort();
const msg = (text: string) => ig.message({ user: 'u', at, text });

describe('keywords', () => {
  const workflows = [
    wf('exact', [{ id: 't', kind: 'message', keywords: [{ match: 'exact', value: 'Preço' }] }]),
    wf('contains', [{ id: 't', kind: 'message', keywords: [{ match: 'contains', value: 'pedido' }] }]),
    wf('starts', [{ id: 't', kind: 'message', keywords: [{ match: 'starts_with', value: 'olá' }] }]),
    wf('regex', [{ id: 't', kind: 'message', keywords: [{ match: 'regex', value: '^order #?\\d{4,}$' }] }]),
  ];
  // Each alone, so priority does not pick between them.
  it.each([
    ['exact', 'preco', true],
    ['exact', '  PREÇO ', true],
    ['exact', 'preço?', false],
    ['exact', 'o preço', false],
    ['contains', 'meu PEDIDO chegou', true],
    ['contains', 'pedid', false],
    ['starts', 'Ola, tudo bem', true],
    ['starts', 'oi ola', false],
    ['regex', 'ORDER #12345', true],
    ['regex', 'order 12', false],
  ])('%s keyword vs %j -> %s', (id, text, expected) => {
    expect(started(workflows.filter((w) => w.id === id), msg(text))).toEqual(expected ? [id] : []);
  });

  it('normalizes case, accents and spaces', () => {
    expect(normalizeText('  Ação   ÉXITO ñ ')).toBe('acao exito n');
  });

  it('never matches our outbound messages', () => {
    expect(started(workflows, ig.sent({ user: 'u', at, text: 'preço' }))).toEqual([]);
  });
});

describe('priority between keyword triggers', () => {
  const kw = (value: string) => [{ match: 'contains' as const, value }];
  it.each([
    ['the highest priority wins', [wf('a', [{ id: 't', kind: 'message', keywords: kw('promo') }], { priority: 1 }), wf('b', [{ id: 't', kind: 'message', keywords: kw('promo') }], { priority: 5 })], ['b']],
    ['a tie goes to the smaller workflow id', [wf('b', [{ id: 't', kind: 'message', keywords: kw('promo') }]), wf('a', [{ id: 't', kind: 'message', keywords: kw('promo') }])], ['a']],
    ['a trigger priority overrides the workflow\'s', [wf('a', [{ id: 't', kind: 'message', keywords: kw('promo'), priority: 9 }], { priority: 1 }), wf('b', [{ id: 't', kind: 'message', keywords: kw('promo') }], { priority: 5 })], ['a']],
    ['a non-matching higher priority does not block', [wf('a', [{ id: 't', kind: 'message', keywords: kw('other') }], { priority: 9 }), wf('b', [{ id: 't', kind: 'message', keywords: kw('promo') }])], ['b']],
    ['non-keyword triggers all start besides the winner', [
      wf('a', [{ id: 't', kind: 'message', keywords: kw('promo') }]),
      wf('b', [{ id: 't', kind: 'message', keywords: kw('promo') }]),
      wf('c', [{ id: 't', kind: 'event', event_type: 'messaging.message.received', conditions: [{ path: 'platform', op: 'eq', value: 'instagram' }] }]),
    ], ['a', 'c']],
  ] as const)('%s', (_name, workflows, expected) => {
    expect(started([...workflows] as WorkflowRecord[], msg('big PROMO today'))).toEqual(expected);
  });
});

describe('fallback', () => {
  const fallback = wf('fallback', [{ id: 'f', kind: 'fallback' }]);
  const hello = wf('hello', [{ id: 't', kind: 'message', keywords: [{ match: 'exact', value: 'hello' }] }]);
  it.each([
    ['fires when no message trigger matched', [fallback, hello], 'bye', ['fallback']],
    ['does not fire when a keyword matched', [fallback, hello], 'hello', ['hello']],
    ['fires alongside broadcast triggers', [fallback, wf('any', [{ id: 't', kind: 'event', event_type: 'messaging.message.received' }])], 'x', ['any', 'fallback']],
    ['does not fire when an any-message trigger matched', [fallback, wf('all', [{ id: 't', kind: 'message' }])], 'x', ['all']],
    ['picks the best-ranked fallback only', [fallback, wf('fallback2', [{ id: 'f', kind: 'fallback' }], { priority: 3 })], 'x', ['fallback2']],
  ] as const)('%s', (_n, workflows, text, expected) => {
    expect(started([...workflows] as WorkflowRecord[], msg(text))).toEqual(expected);
  });
  it('is only for inbound messages', () => {
    expect(started([fallback], ig.postback({ user: 'u', at, payload: 'X' }))).toEqual([]);
  });
});

describe('postback, comment, story reply, follow, reaction, order, contact', () => {
  const workflows = [
    wf('buy', [{ id: 't', kind: 'postback', payload: { match: 'equals', value: 'BUY' } }]),
    wf('size', [{ id: 't', kind: 'postback', payload: { match: 'prefix', value: 'SIZE_' } }]),
    wf('post1', [{ id: 't', kind: 'comment', post_ids: ['p1'], keywords: [{ match: 'contains', value: 'link' }] }]),
    wf('anypost', [{ id: 't', kind: 'comment', keywords: [{ match: 'contains', value: 'price' }] }]),
    wf('story', [{ id: 't', kind: 'story_reply' }]),
    wf('welcome', [{ id: 't', kind: 'follow', platforms: ['line'] }]),
    wf('bye', [{ id: 't', kind: 'unfollow' }]),
    wf('love', [{ id: 't', kind: 'reaction', emojis: ['❤'] }]),
    wf('order', [{ id: 't', kind: 'order_created' }]),
    wf('big', [{ id: 't', kind: 'event', event_type: 'commerce.order.created', conditions: [{ path: 'data.order.total', op: 'in', value: [500, 1000] }, { path: 'data.contact_id', op: 'exists' }] }]),
    wf('newcontact', [{ id: 't', kind: 'contact_created', block_ids: ['blk_ig'] }]),
  ];
  it.each<[string, Envelope, string[]]>([
    ['postback equals', ig.postback({ user: 'u', at, payload: 'BUY' }), ['buy']],
    ['postback equals is exact', ig.postback({ user: 'u', at, payload: 'BUY_NOW' }), []],
    ['postback prefix', ig.postback({ user: 'u', at, payload: 'SIZE_M' }), ['size']],
    ['comment on the given post', ig.comment({ user: 'u', at, postId: 'p1', text: 'Send me the LINK' }), ['post1']],
    ['comment keywords on another post', ig.comment({ user: 'u', at, postId: 'p2', text: 'link?' }), []],
    ['comment on any post', ig.comment({ user: 'u', at, postId: 'p9', text: 'Price?' }), ['anypost']],
    ['story reply', ig.storyReply({ user: 'u', at, storyId: 's1', text: 'wow' }), ['story']],
    ['follow on the allowed platform', line.follow({ user: 'u', at }), ['welcome']],
    ['follow on another platform', ig.follow({ user: 'u', at }), []],
    ['unfollow', ig.unfollow({ user: 'u', at }), ['bye']],
    ['reaction with the emoji', ig.reaction({ user: 'u', at, emoji: '❤' }), ['love']],
    ['reaction with another emoji', ig.reaction({ user: 'u', at, emoji: '😮' }), []],
    ['order created, conditions hold', ig.orderCreated({ user: 'u', at, orderId: 'o1', total: 500 }), ['big', 'order']],
    ['order created, conditions fail', ig.orderCreated({ at, orderId: 'o2', total: 500 }), ['order']],
  ])('%s', (_n, e, expected) => {
    expect(started(workflows, e)).toEqual(expected.sort());
  });
});

describe('status, validation and loops', () => {
  it('starts only active workflows', () => {
    const t: Trigger[] = [{ id: 't', kind: 'message' }];
    expect(started([wf('p', t, { status: 'paused' }), wf('d', t, { status: 'draft' }), wf('a', t)], msg('x'))).toEqual(['a']);
  });
  it('starts a workflow once even if several of its triggers match', () => {
    expect(matchEvent(buildIndex([wf('a', [{ id: 't1', kind: 'message' }, { id: 't2', kind: 'event', event_type: 'messaging.message.received' }])]), msg('x'))).toHaveLength(1);
  });
  it('never starts the workflow that caused the event', () => {
    const workflows = [wf('self', [{ id: 't', kind: 'message' }]), wf('other', [{ id: 't', kind: 'event', event_type: 'messaging.message.received' }])];
    expect(started(workflows, msg('x'), ['self'])).toEqual(['other']);
  });
  it('rejects invalid documents and skips workflows with a broken regex', () => {
    expect(parseWorkflow('w', { name: 'x', status: 'active', triggers: [{ id: 't', kind: 'message', keywords: [{ match: 'fuzzy', value: 'a' }] }] }).ok).toBe(false);
    expect(parseWorkflow('w', { name: 'x', status: 'running', triggers: [] }).ok).toBe(false);
    expect(parseWorkflow('w', { name: 'x', status: 'active', triggers: [{ id: 't', kind: 'message' }], steps: [] }).ok).toBe(true);
    const problems: string[] = [];
    const index = buildIndex([wf('bad', [{ id: 't', kind: 'message', keywords: [{ match: 'regex', value: '(' }] }]), wf('ok', [{ id: 't', kind: 'message' }])], (p) => problems.push(p.workflow_id));
    expect(problems).toEqual(['bad']);
    expect(matchEvent(index, msg('x')).map((s) => s.workflow_id)).toEqual(['ok']);
  });
});
