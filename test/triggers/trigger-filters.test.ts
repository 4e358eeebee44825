/**
 * Trigger matching at its edges (shared/triggers/compile.ts and match.ts):
 * filters whose empty list means "any", Block filters, event-condition
 * operators, regex flags, the text cap, echoes, and which starts are exclusive
 * (dropped when a waiting execution intercepts the reply). Written from a
 * mutation run: each case pins a behaviour no other test did.
 */
import { buildIndex } from '../../shared/triggers/compile';
import { matchEvent } from '../../shared/triggers/match';
import type { Trigger, WorkflowRecord } from '../../shared/workflows/model';
import type { Envelope } from '../../shared/envelope';
import { testEnvelopes } from '../helpers/envelopes';

const at = '2026-03-31T10:00:00.000Z';
const ig = testEnvelopes({ workspaceId: 'ws_m', blockId: 'blk_ig', platform: 'instagram' });
const wf = (id: string, triggers: Trigger[], extra: Partial<WorkflowRecord> = {}): WorkflowRecord => ({ id, name: id, status: 'active', triggers, ...extra });
const started = (workflows: WorkflowRecord[], e: Envelope) => matchEvent(buildIndex(workflows), e).map((s) => s.workflow_id).sort();
const msg = (text?: string) => ig.message({ user: 'u', at, ...(text !== undefined ? { text } : {}) });
const order = (o: { user?: string; total?: number } = {}) => ig.orderCreated({ at, orderId: 'o1', ...o });

describe('status', () => {
  it('a paused workflow never starts, even when it would win the group', () => {
    expect(started([wf('a', [{ id: 't', kind: 'message' }], { status: 'paused' }), wf('z', [{ id: 't', kind: 'message' }])], msg('x'))).toEqual(['z']);
  });
});

describe('Block and platform filters', () => {
  it('block_ids limits a trigger to those Blocks; an empty list means any Block', () => {
    expect(started([wf('w', [{ id: 't', kind: 'message', block_ids: ['blk_other'] }])], msg('x'))).toEqual([]);
    expect(started([wf('w', [{ id: 't', kind: 'message', block_ids: ['blk_ig'] }])], msg('x'))).toEqual(['w']);
    expect(started([wf('w', [{ id: 't', kind: 'message', block_ids: [] }])], msg('x'))).toEqual(['w']);
    expect(started([wf('w', [{ id: 't', kind: 'order_created', block_ids: ['blk_ig'] }])], { ...order(), block_id: null } as Envelope)).toEqual([]);
  });
  it('platforms: [] means any platform', () => {
    expect(started([wf('w', [{ id: 't', kind: 'message', platforms: [] }])], msg('x'))).toEqual(['w']);
  });
});

describe('keywords', () => {
  it('any one of several keywords is enough', () => {
    expect(started([wf('w', [{ id: 't', kind: 'message', keywords: [{ match: 'exact', value: 'preço' }, { match: 'contains', value: 'price' }] }])], msg('price?'))).toEqual(['w']);
  });
  it('keywords: [] means any message', () => {
    expect(started([wf('w', [{ id: 't', kind: 'message', keywords: [] }])], msg('x'))).toEqual(['w']);
  });
  it('a regex keyword is case-insensitive and unicode-aware against the normalized text', () => {
    expect(started([wf('w', [{ id: 't', kind: 'message', keywords: [{ match: 'regex', value: 'PEDIDO \\d+' }] }])], msg('Pedido 42'))).toEqual(['w']);
    expect(started([wf('w', [{ id: 't', kind: 'message', keywords: [{ match: 'regex', value: '^\\p{L}+$' }] }])], msg('Olá'))).toEqual(['w']);
  });
  it('a keyword past the first 4096 characters is not seen', () => {
    expect(started([wf('w', [{ id: 't', kind: 'message', keywords: [{ match: 'contains', value: 'pedido' }] }])], msg(`${'x'.repeat(5000)} pedido`))).toEqual([]);
  });
  it('an attachment-only message (no text) matches no keyword trigger', () => {
    expect(started([wf('w', [{ id: 't', kind: 'message', keywords: [{ match: 'contains', value: 'e' }] }])], msg())).toEqual([]);
  });
  it('story reply keywords see the reply text', () => {
    expect(started([wf('w', [{ id: 't', kind: 'story_reply', keywords: [{ match: 'contains', value: 'wow' }] }])], ig.storyReply({ user: 'u', at, storyId: 's1', text: 'WOW!' }))).toEqual(['w']);
  });
  it('a broken regex is reported with what is wrong', () => {
    const errors: string[] = [];
    buildIndex([wf('bad', [{ id: 't', kind: 'message', keywords: [{ match: 'regex', value: '(' }] }])], (p) => errors.push(...p.errors));
    expect(errors).toEqual([expect.stringContaining('invalid regex "("')]);
  });
});

describe('comment / reaction filters', () => {
  it('post_ids: [] means any post; a reaction trigger without emojis (or emojis: []) takes any emoji', () => {
    expect(started([wf('w', [{ id: 't', kind: 'comment', post_ids: [] }])], ig.comment({ user: 'u', at, postId: 'p9', text: 'hi' }))).toEqual(['w']);
    expect(started([wf('w', [{ id: 't', kind: 'reaction' }])], ig.reaction({ user: 'u', at, emoji: '😮' }))).toEqual(['w']);
    expect(started([wf('w', [{ id: 't', kind: 'reaction', emojis: [] }])], ig.reaction({ user: 'u', at, emoji: '😮' }))).toEqual(['w']);
  });
});

describe('event conditions', () => {
  const ev = (conditions: unknown[]) => wf('w', [{ id: 't', kind: 'event', event_type: 'commerce.order.created', conditions } as Trigger]);
  it('exists: false means the field must be absent', () => {
    const w = ev([{ path: 'data.contact_id', op: 'exists', value: false }]);
    expect(started([w], order())).toEqual(['w']);
    expect(started([w], order({ user: 'u' }))).toEqual([]);
  });
  it('neq', () => {
    const w = ev([{ path: 'data.order.total', op: 'neq', value: 500 }]);
    expect(started([w], order({ total: 500 }))).toEqual([]);
    expect(started([w], order({ total: 7 }))).toEqual(['w']);
  });
  it('contains: accent/case-insensitive on strings, membership on arrays', () => {
    expect(started([ev([{ path: 'data.order.currency', op: 'contains', value: 'us' }])], order())).toEqual(['w']);
    expect(started([ev([{ path: 'data.order.currency', op: 'contains', value: 'eur' }])], order())).toEqual([]);
    const base = order();
    const tagged = { ...base, data: { ...base.data, tags: ['vip', 'new'] } } as unknown as Envelope;
    expect(started([ev([{ path: 'data.tags', op: 'contains', value: 'vip' }])], tagged)).toEqual(['w']);
    expect(started([ev([{ path: 'data.tags', op: 'contains', value: 'gold' }])], tagged)).toEqual([]);
    expect(started([ev([{ path: 'data.order.total', op: 'contains', value: 5 }])], order({ total: 500 }))).toEqual([]);
  });
  it('a path through a missing or null field does not match (and does not throw)', () => {
    expect(started([ev([{ path: 'data.order.customer.tier', op: 'eq', value: 'gold' }])], order())).toEqual([]);
    expect(started([ev([{ path: 'block_id.x', op: 'exists' }])], { ...order(), block_id: null } as Envelope)).toEqual([]);
  });
  it('"in" with a non-array value is a compile problem', () => {
    const problems: string[] = [];
    buildIndex([ev([{ path: 'data.order.status', op: 'in', value: 'created' }])], (p) => problems.push(p.workflow_id));
    expect(problems).toEqual(['w']);
  });
  it('contact_created triggers fire on crm.contact.created', () => {
    const e = { ...order(), type: 'crm.contact.created' } as unknown as Envelope;
    expect(started([wf('w', [{ id: 't', kind: 'contact_created' }])], e)).toEqual(['w']);
  });
});

describe('exclusive flag and ranking within a workflow', () => {
  it('broadcast starts are not exclusive; keyword and fallback starts are', () => {
    const idx = buildIndex([wf('ev', [{ id: 't', kind: 'event', event_type: 'messaging.message.received' }]), wf('fb', [{ id: 'f', kind: 'fallback' }])]);
    expect(matchEvent(idx, msg('x'))).toEqual([{ workflow_id: 'ev', trigger_id: 't', exclusive: false }, { workflow_id: 'fb', trigger_id: 'f', exclusive: true }]);
  });
  it('of one workflow\'s tied triggers, the first listed is the one reported', () => {
    const idx = buildIndex([wf('w', [{ id: 't1', kind: 'message' }, { id: 't2', kind: 'message' }, { id: 't3', kind: 'message' }])]);
    expect(matchEvent(idx, msg('x'))).toEqual([{ workflow_id: 'w', trigger_id: 't1', exclusive: true }]);
  });
  it('no match returns no starts at all', () => {
    expect(matchEvent(buildIndex([wf('fb', [{ id: 'f', kind: 'fallback' }])]), ig.postback({ user: 'u', at, payload: 'X' }))).toStrictEqual([]);
  });
});

describe('echoes', () => {
  it('a messaging.message.received that is outbound (an echo) starts neither keyword nor fallback triggers', () => {
    const e = ig.message({ user: 'u', at: '2026-03-31T10:00:00.000Z', text: 'preço' });
    const echo = { ...e, data: { ...e.data, message: { ...e.data.message, direction: 'outbound' } } } as Envelope;
    const idx = buildIndex([
      { id: 'kw', name: 'kw', status: 'active', triggers: [{ id: 't', kind: 'message', keywords: [{ match: 'contains', value: 'preco' }] }] },
      { id: 'fb', name: 'fb', status: 'active', triggers: [{ id: 'f', kind: 'fallback' }] },
    ]);
    expect(matchEvent(idx, echo)).toEqual([]);
  });
});
