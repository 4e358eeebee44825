import { observe, type Observation } from '../../shared/contacts/observe';
import { reduceContact, reduceConversation } from '../../shared/contacts/reduce';
import type { ContactDoc, ConversationDoc } from '../../shared/contacts/model';
import type { Envelope } from '../../shared/envelope';
import { testEnvelopes } from '../helpers/envelopes';
import { shuffled } from './harness';

const b = testEnvelopes({ workspaceId: 'ws_unit', blockId: 'blk_line', platform: 'line' });
const t = (seconds: number) => new Date(Date.UTC(2026, 2, 31, 10, 0, 0) + seconds * 1000).toISOString();
const obs = (e: Envelope) => observe(e) as Observation;
const opts = (coalesceMs = 60_000) => ({ coalesceMs, now: '2026-04-01T00:00:00.000Z' });

/** Folds events through both reducers the way the store applies them. */
function fold(events: Envelope[], coalesceMs = 60_000) {
  let contact: ContactDoc | undefined;
  let conversation: ConversationDoc | undefined;
  let writes = 0;
  for (const e of events) {
    const c = reduceContact(contact, obs(e), opts(coalesceMs));
    if (c && c.write !== 'none') {
      contact = c.doc;
      writes++;
    }
    const v = reduceConversation(conversation, obs(e), opts(coalesceMs));
    if (v && v.write !== 'none') {
      conversation = v.doc;
      writes++;
    }
  }
  return { contact, conversation, writes };
}

/** The state users see: everything but bookkeeping that says which event came first. */
const state = (doc: object | undefined) => {
  const { created_by_event_id: _c, created_at: _a, updated_at: _u, ...rest } = (doc ?? {}) as Record<string, unknown>;
  return rest;
};

describe('contact reducer', () => {
  it('creates a contact with identity, profile and activity times', () => {
    const r = reduceContact(undefined, obs(b.message({ user: 'U1', at: t(0), text: 'hi', profile: { display_name: 'Ana' } })), opts());
    expect(r?.write).toBe('create');
    expect(r?.doc).toMatchObject({
      block_id: 'blk_line',
      platform: 'line',
      platform_user_id: 'U1',
      display_name: 'Ana',
      first_seen_at: t(0),
      last_seen_at: t(0),
      last_inbound_at: t(0),
    });
    expect(r?.doc.subscribed).toBeUndefined();
  });

  it.each([
    [
      'a later follow after an unfollow',
      [
        ['unfollow', 10],
        ['follow', 20],
      ],
      true,
    ],
    [
      'a late follow older than the unfollow',
      [
        ['unfollow', 20],
        ['follow', 10],
      ],
      false,
    ],
    [
      'a late unfollow older than the follow',
      [
        ['follow', 20],
        ['unfollow', 10],
      ],
      true,
    ],
    [
      'a follow and an unfollow at the same instant (unfollow wins)',
      [
        ['follow', 10],
        ['unfollow', 10],
      ],
      false,
    ],
    [
      'the same instant in the other order',
      [
        ['unfollow', 10],
        ['follow', 10],
      ],
      false,
    ],
  ] as const)('resolves %s by platform time', (_name, sequence, subscribed) => {
    const events = sequence.map(([kind, at]) =>
      kind === 'follow' ? b.follow({ user: 'U1', at: t(at) }) : b.unfollow({ user: 'U1', at: t(at) }),
    );
    expect(fold(events).contact?.subscribed).toBe(subscribed);
  });

  it('lets an old message change neither the profile nor last seen', () => {
    const { contact } = fold([
      b.message({ user: 'U1', at: t(600), profile: { display_name: 'New' } }),
      b.message({ user: 'U1', at: t(0), profile: { display_name: 'Old' } }),
    ]);
    expect(contact).toMatchObject({ display_name: 'New', last_seen_at: t(600), first_seen_at: t(0) });
  });

  it('reports which profile fields changed, and nothing for an activity-only bump', () => {
    const first = reduceContact(undefined, obs(b.message({ user: 'U1', at: t(0), profile: { display_name: 'Ana' } })), opts())!.doc;
    const renamed = reduceContact(
      first,
      obs(b.message({ user: 'U1', at: t(120), profile: { display_name: 'Ana B', language_code: 'es' } })),
      opts(),
    );
    expect(renamed?.changedFields.sort()).toEqual(['display_name', 'language_code']);
    const bump = reduceContact(first, obs(b.message({ user: 'U1', at: t(120), profile: { display_name: 'Ana' } })), opts());
    expect(bump).toMatchObject({ write: 'update', changedFields: [] });
  });

  it('coalesces activity-only updates within the window', () => {
    const first = reduceContact(undefined, obs(b.message({ user: 'U1', at: t(0) })), opts())!.doc;
    expect(reduceContact(first, obs(b.message({ user: 'U1', at: t(59) })), opts())?.write).toBe('none');
    expect(reduceContact(first, obs(b.message({ user: 'U1', at: t(60) })), opts())).toMatchObject({
      write: 'update',
      doc: { last_seen_at: t(60) },
    });
    expect(reduceContact(first, obs(b.message({ user: 'U1', at: t(1) })), opts(0))?.write).toBe('update');
  });

  it('does not count an outbound message as the contact being seen', () => {
    const { contact } = fold([b.message({ user: 'U1', at: t(0) }), b.sent({ user: 'U1', at: t(300) })]);
    expect(contact).toMatchObject({ last_seen_at: t(0), last_inbound_at: t(0), last_outbound_at: t(300) });
  });
});

describe('conversation reducer', () => {
  it.each([
    [
      'closed by an agent',
      [
        ['msg', 0],
        ['close', 10],
      ],
      'closed',
    ],
    [
      'reopened by a later inbound message',
      [
        ['msg', 0],
        ['close', 10],
        ['msg', 20],
      ],
      'open',
    ],
    [
      'not reopened by our own outbound message',
      [
        ['msg', 0],
        ['close', 10],
        ['sent', 20],
      ],
      'closed',
    ],
    [
      'not closed by a late close older than the last inbound message',
      [
        ['msg', 0],
        ['msg', 100],
        ['close', 50],
      ],
      'open',
    ],
    [
      "closed when the close comes before the thread's first message is seen",
      [
        ['close', 10],
        ['msg', 0],
      ],
      'closed',
    ],
  ] as const)('is %s', (_name, sequence, status) => {
    const events = sequence.map(([kind, at]) =>
      kind === 'msg'
        ? b.message({ user: 'U1', at: t(at) })
        : kind === 'sent'
          ? b.sent({ user: 'U1', at: t(at) })
          : b.closed({ user: 'U1', at: t(at) }),
    );
    const { conversation } = fold(events);
    expect(conversation?.status).toBe(status);
    expect(conversation?.announced).toBe(true);
  });

  it('keeps the contact of a 1:1 thread and none for a group', () => {
    const group = { platform_conversation_id: 'G1', kind: 'group' as const, title: 'Team' };
    expect(fold([b.message({ user: 'U1', at: t(0) })]).conversation?.contact_id).toBe(b.contactId('U1'));
    const { conversation } = fold([
      b.message({ user: 'U1', at: t(0), conversation: group }),
      b.message({ user: 'U2', at: t(1), conversation: group }),
    ]);
    expect(conversation).toMatchObject({ kind: 'group', title: 'Team', platform_conversation_id: 'G1' });
    expect(conversation?.contact_id).toBeUndefined();
  });
});

describe('order tolerance', () => {
  const sequence = [
    b.message({ user: 'U1', at: t(0), text: 'hi', profile: { display_name: 'Ana' } }),
    b.follow({ user: 'U1', at: t(5) }),
    b.message({ user: 'U1', at: t(30), profile: { display_name: 'Ana María' } }),
    b.closed({ user: 'U1', at: t(40) }),
    b.unfollow({ user: 'U1', at: t(50) }),
    b.sent({ user: 'U1', at: t(60) }),
    b.reaction({ user: 'U1', at: t(70), emoji: '❤' }),
    b.follow({ user: 'U1', at: t(80), profile: { language_code: 'es' } }),
    b.message({ user: 'U1', at: t(90), profile: { display_name: 'Ana María' } }),
    b.closed({ user: 'U1', at: t(95) }),
  ];

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('ends in the same state for shuffle #%i (no coalescing)', (seed) => {
    const ordered = fold(sequence, 0);
    const other = fold(shuffled(sequence, seed), 0);
    expect(state(other.contact)).toEqual(state(ordered.contact));
    expect(state(other.conversation)).toEqual(state(ordered.conversation));
    expect(ordered.contact).toMatchObject({ display_name: 'Ana María', subscribed: true, language_code: 'es', last_seen_at: t(90) });
    expect(ordered.conversation).toMatchObject({ status: 'closed', closed_at: t(95), last_inbound_at: t(90) });
  });
});

/** Every order of `items` (a few events: n! stays small). */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe('re-confirmed values and late older ones', () => {
  const group = (title: string) => ({ platform_conversation_id: 'G1', kind: 'group' as const, title });
  // A at t0, A again at t30, B at t20: ordered, the re-confirmation at t30 is the latest word (A).
  const titles = [
    b.message({ user: 'U1', at: t(0), rawId: 'g0', conversation: group('A') }),
    b.message({ user: 'U2', at: t(30), rawId: 'g30', conversation: group('A') }),
    b.message({ user: 'U3', at: t(20), rawId: 'g20', conversation: group('B') }),
  ];

  it.each(permutations(titles).map((order) => [order.map((e) => e.metadata.raw_platform_event_id).join(' '), order]))(
    'gives a group the title of its latest event in delivery order %s, duplicates included (no coalescing)',
    (_order, order) => {
      const ordered = fold(
        [...titles].sort((x, y) => Date.parse(x.timestamp) - Date.parse(y.timestamp)),
        0,
      ).conversation;
      const delivered = fold(
        order.flatMap((e) => [e, e]),
        0,
      ).conversation;
      expect(ordered).toMatchObject({ title: 'A', title_at: t(30) });
      expect(state(delivered)).toEqual(state(ordered));
    },
  );

  it('coalesces a title re-confirmed inside the window like any timestamp-only change', () => {
    const first = fold([titles[0]!]).conversation!;
    expect(reduceConversation(first, obs(b.message({ user: 'U2', at: t(30), conversation: group('A') })), opts())?.write).toBe('none');
    expect(reduceConversation(first, obs(b.message({ user: 'U2', at: t(90), conversation: group('A') })), opts())).toMatchObject({
      write: 'update',
      doc: { title: 'A', title_at: t(90) },
    });
  });

  const names = [
    b.message({ user: 'U1', at: t(0), rawId: 'p0', profile: { display_name: 'A' } }),
    b.message({ user: 'U1', at: t(30), rawId: 'p30', profile: { display_name: 'A' } }),
    b.message({ user: 'U1', at: t(20), rawId: 'p20', profile: { display_name: 'B' } }),
  ];

  it.each(permutations(names).map((order) => [order.map((e) => e.metadata.raw_platform_event_id).join(' '), order]))(
    'gives a contact the profile of its latest event in delivery order %s, duplicates included (no coalescing)',
    (_order, order) => {
      expect(
        fold(
          order.flatMap((e) => [e, e]),
          0,
        ).contact,
      ).toMatchObject({ display_name: 'A', profile_at: { display_name: t(30) } });
    },
  );

  it('with coalescing, lets a late older value win only inside the window before a coalesced re-confirmation (the documented limit)', () => {
    // Re-confirmed 90 s later: past the window, so written; a late B from t20 loses.
    const written = [names[0]!, b.message({ user: 'U1', at: t(90), profile: { display_name: 'A' } }), names[2]!];
    expect(fold(written).contact).toMatchObject({ display_name: 'A', profile_at: { display_name: t(90) } });
    // Re-confirmed 30 s later: inside the window, not written; the late B from t20 wins until the next event carrying the name.
    const coalesced = fold(names).contact!;
    expect(coalesced).toMatchObject({ display_name: 'B', profile_at: { display_name: t(20) } });
    const healed = reduceContact(coalesced, obs(b.message({ user: 'U1', at: t(40), profile: { display_name: 'A' } })), opts());
    expect(healed).toMatchObject({ write: 'update', changedFields: ['display_name'], doc: { display_name: 'A' } });
  });
});
