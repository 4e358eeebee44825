/** The pure matcher: tables of workflows x events -> which workflows start. */
import { buildIndex } from '../../shared/triggers/compile';
import { matchEvent } from '../../shared/triggers/match';
import { compileRegex } from '../../shared/triggers/regex';
import { MAX_MATCHED_TEXT, normalizeText } from '../../shared/triggers/text';
import { parseWorkflow, type Trigger, type WorkflowRecord } from '../../shared/workflows/model';
import type { Envelope } from '../../shared/envelope';
import { testEnvelopes } from '../helpers/envelopes';

const at = '2026-03-31T10:00:00.000Z';
const ig = testEnvelopes({ workspaceId: 'ws_m', blockId: 'blk_ig', platform: 'instagram' });
const line = testEnvelopes({ workspaceId: 'ws_m', blockId: 'blk_line', platform: 'line' });

const wf = (id: string, triggers: Trigger[], extra: Partial<WorkflowRecord> = {}): WorkflowRecord => ({
  id,
  name: id,
  status: 'active',
  triggers,
  ...extra,
});
const started = (workflows: WorkflowRecord[], e: Envelope, exclude?: string[]) =>
  matchEvent(buildIndex(workflows), e, exclude ? { exclude: new Set(exclude) } : {})
    .map((s) => s.workflow_id)
    .sort();
const msg = (text: string) => ig.message({ user: 'u', at, text });
const order = (o: { user?: string; total?: number } = {}) => ig.orderCreated({ at, orderId: 'o1', ...o });

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
    expect(
      started(
        workflows.filter((w) => w.id === id),
        msg(text),
      ),
    ).toEqual(expected ? [id] : []);
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
    [
      'the highest priority wins',
      [
        wf('a', [{ id: 't', kind: 'message', keywords: kw('promo') }], { priority: 1 }),
        wf('b', [{ id: 't', kind: 'message', keywords: kw('promo') }], { priority: 5 }),
      ],
      ['b'],
    ],
    [
      'a tie goes to the smaller workflow id',
      [wf('b', [{ id: 't', kind: 'message', keywords: kw('promo') }]), wf('a', [{ id: 't', kind: 'message', keywords: kw('promo') }])],
      ['a'],
    ],
    [
      "a trigger priority overrides the workflow's",
      [
        wf('a', [{ id: 't', kind: 'message', keywords: kw('promo'), priority: 9 }], { priority: 1 }),
        wf('b', [{ id: 't', kind: 'message', keywords: kw('promo') }], { priority: 5 }),
      ],
      ['a'],
    ],
    [
      'a non-matching higher priority does not block',
      [
        wf('a', [{ id: 't', kind: 'message', keywords: kw('other') }], { priority: 9 }),
        wf('b', [{ id: 't', kind: 'message', keywords: kw('promo') }]),
      ],
      ['b'],
    ],
    [
      'non-keyword triggers all start besides the winner',
      [
        wf('a', [{ id: 't', kind: 'message', keywords: kw('promo') }]),
        wf('b', [{ id: 't', kind: 'message', keywords: kw('promo') }]),
        wf('c', [
          {
            id: 't',
            kind: 'event',
            event_type: 'messaging.message.received',
            conditions: [{ path: 'platform', op: 'eq', value: 'instagram' }],
          },
        ]),
      ],
      ['a', 'c'],
    ],
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
    [
      'fires alongside broadcast triggers',
      [fallback, wf('any', [{ id: 't', kind: 'event', event_type: 'messaging.message.received' }])],
      'x',
      ['any', 'fallback'],
    ],
    ['does not fire when an any-message trigger matched', [fallback, wf('all', [{ id: 't', kind: 'message' }])], 'x', ['all']],
    [
      'picks the best-ranked fallback only',
      [fallback, wf('fallback2', [{ id: 'f', kind: 'fallback' }], { priority: 3 })],
      'x',
      ['fallback2'],
    ],
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
    wf('big', [
      {
        id: 't',
        kind: 'event',
        event_type: 'commerce.order.created',
        conditions: [
          { path: 'data.order.total', op: 'in', value: [500, 1000] },
          { path: 'data.contact_id', op: 'exists' },
        ],
      },
    ]),
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
    expect(
      matchEvent(
        buildIndex([
          wf('a', [
            { id: 't1', kind: 'message' },
            { id: 't2', kind: 'event', event_type: 'messaging.message.received' },
          ]),
        ]),
        msg('x'),
      ),
    ).toHaveLength(1);
  });
  it('never starts the workflow that caused the event', () => {
    const workflows = [
      wf('self', [{ id: 't', kind: 'message' }]),
      wf('other', [{ id: 't', kind: 'event', event_type: 'messaging.message.received' }]),
    ];
    expect(started(workflows, msg('x'), ['self'])).toEqual(['other']);
  });
  it('rejects invalid documents and skips workflows with a broken regex', () => {
    expect(
      parseWorkflow('w', {
        name: 'x',
        status: 'active',
        triggers: [{ id: 't', kind: 'message', keywords: [{ match: 'fuzzy', value: 'a' }] }],
      }).ok,
    ).toBe(false);
    expect(parseWorkflow('w', { name: 'x', status: 'running', triggers: [] }).ok).toBe(false);
    expect(parseWorkflow('w', { name: 'x', status: 'active', triggers: [{ id: 't', kind: 'message' }], steps: [] }).ok).toBe(true);
    const problems: string[] = [];
    const index = buildIndex(
      [wf('bad', [{ id: 't', kind: 'message', keywords: [{ match: 'regex', value: '(' }] }]), wf('ok', [{ id: 't', kind: 'message' }])],
      (p) => problems.push(p.workflow_id),
    );
    expect(problems).toEqual(['bad']);
    expect(matchEvent(index, msg('x')).map((s) => s.workflow_id)).toEqual(['ok']);
  });
});

// Edges pinned after a mutation run: each case is a behaviour no other test held.
describe('workflow status', () => {
  it('a paused workflow never starts, even when it would win the group', () => {
    expect(
      started([wf('a', [{ id: 't', kind: 'message' }], { status: 'paused' }), wf('z', [{ id: 't', kind: 'message' }])], msg('x')),
    ).toEqual(['z']);
  });
});

describe('Block and platform filters', () => {
  it('block_ids limits a trigger to those Blocks; an empty list means any Block', () => {
    expect(started([wf('w', [{ id: 't', kind: 'message', block_ids: ['blk_other'] }])], msg('x'))).toEqual([]);
    expect(started([wf('w', [{ id: 't', kind: 'message', block_ids: ['blk_ig'] }])], msg('x'))).toEqual(['w']);
    expect(started([wf('w', [{ id: 't', kind: 'message', block_ids: [] }])], msg('x'))).toEqual(['w']);
    expect(
      started([wf('w', [{ id: 't', kind: 'order_created', block_ids: ['blk_ig'] }])], { ...order(), block_id: null } as Envelope),
    ).toEqual([]);
  });
  it('platforms: [] means any platform', () => {
    expect(started([wf('w', [{ id: 't', kind: 'message', platforms: [] }])], msg('x'))).toEqual(['w']);
  });
});

describe('keywords at their edges', () => {
  it('any one of several keywords is enough', () => {
    expect(
      started(
        [
          wf('w', [
            {
              id: 't',
              kind: 'message',
              keywords: [
                { match: 'exact', value: 'preço' },
                { match: 'contains', value: 'price' },
              ],
            },
          ]),
        ],
        msg('price?'),
      ),
    ).toEqual(['w']);
  });
  it('keywords: [] means any message', () => {
    expect(started([wf('w', [{ id: 't', kind: 'message', keywords: [] }])], msg('x'))).toEqual(['w']);
  });
  it('a regex keyword is case-insensitive and unicode-aware against the normalized text', () => {
    expect(
      started([wf('w', [{ id: 't', kind: 'message', keywords: [{ match: 'regex', value: 'PEDIDO \\d+' }] }])], msg('Pedido 42')),
    ).toEqual(['w']);
    expect(started([wf('w', [{ id: 't', kind: 'message', keywords: [{ match: 'regex', value: '^\\p{L}+$' }] }])], msg('Olá'))).toEqual([
      'w',
    ]);
  });
  it('a keyword past the first 4096 characters is not seen', () => {
    expect(
      started(
        [wf('w', [{ id: 't', kind: 'message', keywords: [{ match: 'contains', value: 'pedido' }] }])],
        msg(`${'x'.repeat(5000)} pedido`),
      ),
    ).toEqual([]);
  });
  it('an attachment-only message (no text) matches no keyword trigger', () => {
    expect(
      started([wf('w', [{ id: 't', kind: 'message', keywords: [{ match: 'contains', value: 'e' }] }])], ig.message({ user: 'u', at })),
    ).toEqual([]);
  });
  it('story reply keywords see the reply text', () => {
    expect(
      started(
        [wf('w', [{ id: 't', kind: 'story_reply', keywords: [{ match: 'contains', value: 'wow' }] }])],
        ig.storyReply({ user: 'u', at, storyId: 's1', text: 'WOW!' }),
      ),
    ).toEqual(['w']);
  });
  it('a broken regex is reported with what is wrong', () => {
    const errors: string[] = [];
    buildIndex([wf('bad', [{ id: 't', kind: 'message', keywords: [{ match: 'regex', value: '(' }] }])], (p) => errors.push(...p.errors));
    expect(errors).toEqual([expect.stringContaining('invalid regex "("')]);
  });
});

describe('comment / reaction filters', () => {
  it('post_ids: [] means any post; a reaction trigger without emojis (or emojis: []) takes any emoji', () => {
    expect(
      started([wf('w', [{ id: 't', kind: 'comment', post_ids: [] }])], ig.comment({ user: 'u', at, postId: 'p9', text: 'hi' })),
    ).toEqual(['w']);
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
    const idx = buildIndex([
      wf('ev', [{ id: 't', kind: 'event', event_type: 'messaging.message.received' }]),
      wf('fb', [{ id: 'f', kind: 'fallback' }]),
    ]);
    expect(matchEvent(idx, msg('x'))).toEqual([
      { workflow_id: 'ev', trigger_id: 't', exclusive: false },
      { workflow_id: 'fb', trigger_id: 'f', exclusive: true },
    ]);
  });
  it("of one workflow's tied triggers, the first listed is the one reported", () => {
    const idx = buildIndex([
      wf('w', [
        { id: 't1', kind: 'message' },
        { id: 't2', kind: 'message' },
        { id: 't3', kind: 'message' },
      ]),
    ]);
    expect(matchEvent(idx, msg('x'))).toEqual([{ workflow_id: 'w', trigger_id: 't1', exclusive: true }]);
  });
  it('no match returns no starts at all', () => {
    expect(matchEvent(buildIndex([wf('fb', [{ id: 'f', kind: 'fallback' }])]), ig.postback({ user: 'u', at, payload: 'X' }))).toStrictEqual(
      [],
    );
  });
});

describe('echoes of received messages', () => {
  it('a messaging.message.received that is outbound (an echo) starts neither keyword nor fallback triggers', () => {
    const e = ig.message({ user: 'u', at: '2026-03-31T10:00:00.000Z', text: 'preço' });
    const echo = { ...e, data: { ...e.data, message: { ...e.data.message, direction: 'outbound' } } } as Envelope;
    const idx = buildIndex([
      {
        id: 'kw',
        name: 'kw',
        status: 'active',
        triggers: [{ id: 't', kind: 'message', keywords: [{ match: 'contains', value: 'preco' }] }],
      },
      { id: 'fb', name: 'fb', status: 'active', triggers: [{ id: 'f', kind: 'fallback' }] },
    ]);
    expect(matchEvent(idx, echo)).toEqual([]);
  });
});

describe('regex keywords cannot hang the function (RE2, linear time)', () => {
  const regexWf = (id: string, value: string) => wf(id, [{ id: 't', kind: 'message', keywords: [{ match: 'regex', value }] }]);
  const matches = (pattern: string, text: string) => {
    const re = compileRegex(pattern);
    if (!re.ok) throw new Error(`${pattern}: ${re.reason}`);
    return re.test(normalizeText(text));
  };
  // (a+)+$ against "aaaa…b" is the classic catastrophic backtrack: ~2^n steps on V8's engine (2^40 here).
  const evil = msg('a'.repeat(40) + 'b');

  it('runs (a+)+$ on "a"x40 + "b" and answers correctly (no match), quickly, next to the other workflows', () => {
    const problems: { workflow_id: string; errors: string[] }[] = [];
    const index = buildIndex([regexWf('evil', '(a+)+$'), regexWf('ok', '^a+b$'), wf('any', [{ id: 't', kind: 'comment' }])], (p) =>
      problems.push(p),
    );
    expect(problems).toEqual([]);
    expect(index.activeWorkflows).toBe(3);
    const t0 = performance.now();
    expect(matchEvent(index, evil).map((s) => s.workflow_id)).toEqual(['ok']);
    expect(matchEvent(index, msg('a'.repeat(MAX_MATCHED_TEXT - 1) + 'b')).map((s) => s.workflow_id)).toEqual(['ok']);
    expect(performance.now() - t0).toBeLessThan(1000);
    // And it matches when it should.
    expect(matchEvent(buildIndex([regexWf('evil', '(a+)+$')]), msg('baaa')).map((s) => s.workflow_id)).toEqual(['evil']);
  });

  it.each([
    ['(a+)+$', 'a'.repeat(40) + 'b', false],
    ['(a|aa)+$', 'a'.repeat(40) + 'b', false],
    ['(a|a)*b', 'a'.repeat(40), false],
    ['(\\w+\\s?)*$', 'hello world!', true],
    ['(x+x+)+y', 'x'.repeat(MAX_MATCHED_TEXT), false],
    ['.*a.*b', 'a'.repeat(MAX_MATCHED_TEXT), false],
    ['.*a.*b', 'xx a yy b', true],
    ['\\w+@\\w+', 'write to ana@example.com', true],
    ['\\w+@\\w+', 'no email here @ all', false],
    ['\\w+@\\w+', 'a'.repeat(MAX_MATCHED_TEXT - 1) + '@', false],
    ['\\w+@\\w+\\.com', 'Mail: Ana@Example.COM', true],
    ['(foo|bar)+', 'xx barfoo yy', true],
    ['^(foo|bar)+$', 'FooBarFoo', true],
    ['^(foo|bar)+$', 'foobaz', false],
    ['(a|a)'.repeat(20) + 'b', 'a'.repeat(20) + 'b', true],
    ['^order #?\\d{4,}$', 'ORDER #12345', true],
    ['pedido \\d+', 'Pedido 42', true],
    ['^\\p{L}+$', 'Olá', true],
    ['^\\p{L}+$', 'ola!', false],
    ['^price\\b', 'price?', true],
    ['^price\\b', 'priceless', false],
    ['(?:preço|price)\\s*\\?', 'qual o PREÇO ?', false], // the text is normalized (accents dropped), the pattern is not
    ['(?:preco|price)\\s*\\?', 'qual o PREÇO ?', true],
    ['^.*refund.*$', 'I want a Refund now', true],
    ['[(|)]+\\)', 'x (|)', true],
    ['\\u{28}+x', '((x', true],
    ['\\u0041b', 'ab', true],
    ['(?<word>hi) there', 'oh HI there', true],
    ['a{1,3}b{2,5}c', 'aabbbc', true],
    ['^.$', '😀', true],
    ['[^]', 'x', true],
    ['x*?y', 'xxy', true],
  ])('%j on %j -> %s', (pattern, text, expected) => {
    expect(matches(pattern, text)).toBe(expected);
  });

  it.each([
    ['(.)\\1+', 'backreferences'],
    ['(?<c>.)\\k<c>', 'backreferences'],
    ['(?=a+)a', 'lookaheads and lookbehinds'],
    ['a(?!b)', 'lookaheads and lookbehinds'],
    ['(?<=x)y', 'lookaheads and lookbehinds'],
    ['(?<!x)y', 'lookaheads and lookbehinds'],
    ['\\p{Letter}', 'invalid character class range'],
    ['(a{1000}){1000}', 'invalid repeat count'],
  ])('refuses %j when the workflow is compiled: not supported (%s)', (pattern, why) => {
    const problems: { workflow_id: string; errors: string[] }[] = [];
    const index = buildIndex([regexWf('bad', pattern), regexWf('ok', '^hi')], (p) => problems.push(p));
    expect(problems).toEqual([
      { workflow_id: 'bad', errors: [expect.stringContaining(`regex ${JSON.stringify(pattern)} refused, not supported: ${why}`)] },
    ]);
    expect(matchEvent(index, msg('hi')).map((s) => s.workflow_id)).toEqual(['ok']);
  });

  it('does not take an escaped backslash, or a class, for a backreference or a lookaround', () => {
    expect(matches('a\\\\1', 'a\\1')).toBe(true);
    expect(matches('[(?=]+x', '?=x')).toBe(true);
  });

  it('an invalid JavaScript pattern is still invalid, not "not supported"', () => {
    expect(compileRegex('(')).toMatchObject({ ok: false, kind: 'invalid' });
    expect(compileRegex('a{,3}')).toMatchObject({ ok: false, kind: 'invalid' });
  });

  it('gives the right answer on adversarial input too', () => {
    const index = buildIndex([regexWf('digits', '\\d+x'), regexWf('anchored', '^.*a.*b')]);
    expect(matchEvent(index, msg('1'.repeat(MAX_MATCHED_TEXT)))).toEqual([]);
    expect(matchEvent(index, msg('a'.repeat(MAX_MATCHED_TEXT)))).toEqual([]);
    expect(matchEvent(index, msg('a'.repeat(100) + 'b')).map((s) => s.workflow_id)).toEqual(['anchored']);
  });

  it('the matched text stays within the cap even when NFD expands it', () => {
    // Each Hangul syllable decomposes into 2-3 jamo, which are letters, not marks.
    expect(normalizeText('한'.repeat(MAX_MATCHED_TEXT)).length).toBe(MAX_MATCHED_TEXT);
  });
});
