/**
 * The contacts subscriber on the emulators, through its HTTP function with
 * Pub/Sub push bodies: duplicates, shuffled deliveries, the follow/unfollow
 * race, the write budget of a burst, derived events that survive a crash
 * between commit and publish, and those a replay recovers after every
 * delivery failed to publish them.
 */
import { http } from '@google-cloud/functions-framework';
import { envelopeConsumer } from '../../shared/runtime/consumer';
import type { Timestamp } from '@google-cloud/firestore';
import { contactsConfig, createContactsService } from '../../shared/contacts';
import { createEnvelopePublisher, type EnvelopePublisher } from '../../shared/envelope/publish';
import { getFirestore } from '../../shared/runtime/gcp';
import type { Envelope } from '../../shared/envelope';
import { causedBy } from '../../shared/triggers/loops';
import { testEnvelopes } from '../helpers/envelopes';
import { replayOf, serve, shuffled, tapTopic, type Served, type TopicTap } from './harness';
import { uniqueName } from '../helpers/names';

const EVENTS = uniqueName('contacts-events');
process.env.EVENTS_TOPIC = EVENTS;
// The real entry point registers `contacts`; its dependencies resolve on the first event, after this line.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../functions/contacts');

const DAY_MS = 24 * 60 * 60 * 1000;
const t = (seconds: number) => new Date(Date.UTC(2026, 2, 31, 10, 0, 0) + seconds * 1000).toISOString();
const db = () => getFirestore();
const workspace = (ws: string) => db().collection('workspaces').doc(ws);
const contactOf = async (ws: string, id: string) => (await workspace(ws).collection('contacts').doc(id).get()).data();
const conversationOf = async (ws: string, id: string) => (await workspace(ws).collection('conversations').doc(id).get()).data();
const count = async (ws: string, collection: string) => (await workspace(ws).collection(collection).get()).size;
const forWorkspace = (ws: string, messages: { data: Envelope }[]) => messages.map((m) => m.data).filter((e) => e.workspace_id === ws);
const bookkeeping = (doc: Record<string, unknown> | undefined) => {
  const { created_by_event_id: _e, created_at: _c, updated_at: _u, ...rest } = doc ?? {};
  return rest;
};

const causedByStamps = (e: Envelope) => {
  const { caused_by_workflow_ids, caused_by_workflow_id, caused_by_execution_id } = e.metadata;
  return JSON.parse(JSON.stringify({ caused_by_workflow_ids, caused_by_workflow_id, caused_by_execution_id })) as Partial<
    Envelope['metadata']
  >;
};

let tap: TopicTap<Envelope>;
let contacts: Served;
beforeAll(async () => {
  tap = await tapTopic<Envelope>(EVENTS);
  contacts = await serve('contacts');
});
afterAll(async () => {
  await contacts?.close();
});

describe('contacts: at-least-once delivery', () => {
  it('turns three deliveries of one message into one contact, one conversation and one set of derived events', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ig', platform: 'instagram' });
    const hello = b.message({ user: 'IG1', at: t(0), text: 'Hi', profile: { username: 'ana.b' } });

    for (let i = 1; i <= 3; i++) expect(await contacts.deliver(hello, i)).toBe(204);

    expect(await count(ws, 'contacts')).toBe(1);
    expect(await count(ws, 'conversations')).toBe(1);
    expect(await contactOf(ws, b.contactId('IG1'))).toMatchObject({
      platform: 'instagram',
      block_id: 'blk_ig',
      platform_user_id: 'IG1',
      username: 'ana.b',
      first_seen_at: t(0),
      last_inbound_at: t(0),
    });
    expect(await conversationOf(ws, b.conversationId('IG1'))).toMatchObject({
      status: 'open',
      kind: 'direct',
      contact_id: b.contactId('IG1'),
    });

    const derived = forWorkspace(ws, await tap.drain());
    expect(derived.map((e) => e.type).sort()).toEqual(['crm.contact.created', 'messaging.conversation.created']);
    for (const e of derived) expect(e.metadata).toMatchObject({ source: 'derived', caused_by_event_id: hello.id });
    const created = derived.find((e) => e.type === 'crm.contact.created');
    expect(created?.data).toMatchObject({ contact_id: b.contactId('IG1'), contact: { username: 'ana.b', platform: 'instagram' } });
  });

  it('survives three concurrent deliveries of the same event', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_tg', platform: 'telegram' });
    const hello = b.message({ user: '42', at: t(0), text: '/start' });

    const statuses = await Promise.all([1, 2, 3].map((i) => contacts.deliver(hello, i)));

    expect(statuses).toEqual([204, 204, 204]);
    expect(await count(ws, 'contacts')).toBe(1);
    const derived = forWorkspace(ws, await tap.drain());
    // Concurrent deliveries may each publish the pending outbox (at-least-once, as documented): the copies
    // carry the same ids, so consumers dedupe them. What must hold: two derived events, each with one id.
    const byId = new Map(derived.map((e) => [e.id, e]));
    expect([...byId.values()].map((e) => e.type).sort()).toEqual(['crm.contact.created', 'messaging.conversation.created']);
    for (const e of derived) expect(e).toEqual(byId.get(e.id));
  });

  it('emits crm.contact.updated with the changed fields, and nothing for a mere last-seen bump', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_tg', platform: 'telegram' });
    await contacts.deliver(b.message({ user: '7', at: t(0), profile: { first_name: 'Ana' } }));
    await contacts.deliver(b.message({ user: '7', at: t(300), profile: { first_name: 'Ana' } }));
    await contacts.deliver(b.message({ user: '7', at: t(600), profile: { first_name: 'Ana', language_code: 'pt-br' } }));
    await contacts.deliver(b.unfollow({ user: '7', at: t(900) }));

    const types = forWorkspace(ws, await tap.drain()).filter((e) => e.type === 'crm.contact.updated');
    expect(types.map((e) => (e.type === 'crm.contact.updated' ? e.data.changed_fields : []))).toEqual([['language_code'], ['subscribed']]);
    expect(await contactOf(ws, b.contactId('7'))).toMatchObject({ last_seen_at: t(600), subscribed: false, language_code: 'pt-br' });
  });

  it("hands the causation chain of a workflow's event on to every event it derives, so loop limits see through contacts", async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_tg', platform: 'telegram' });
    const chain = {
      caused_by_workflow_ids: ['wf_order', 'wf_greet'],
      caused_by_workflow_id: 'wf_greet',
      caused_by_execution_id: 'exe_greet1',
    };
    // A contact's message caused by an older execution stamp (the chain is read from the execution) creates
    // the contact; a workflow's outbound message, delivered late and twice, sets its username (updated).
    const greet = b.sent({ user: '99', at: t(0), text: 'welcome', profile: { username: 'bea99' }, metadata: chain });
    const rename = b.message({
      user: '99',
      at: t(300),
      profile: { first_name: 'Bea' },
      metadata: { caused_by_execution_id: 'exe_legacy' },
    });
    for (const e of [rename, greet, greet, rename]) expect(await contacts.deliver(e)).toBe(204);

    const derived = forWorkspace(ws, await tap.drain());
    const byCause = (source: Envelope) => derived.filter((e) => e.metadata.caused_by_event_id === source.id);
    expect(byCause(greet).map((e) => e.type)).toEqual(['crm.contact.updated']);
    expect(
      byCause(rename)
        .map((e) => e.type)
        .sort(),
    ).toEqual(['crm.contact.created', 'messaging.conversation.created']);
    for (const source of [greet, rename]) {
      for (const e of byCause(source)) {
        expect(e.metadata).toMatchObject({ source: 'derived', ...causedByStamps(source) });
        expect(causedBy(e)).toEqual(causedBy(source));
      }
    }
  });

  it('stamps no causation on what an event no workflow caused derives', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_tg', platform: 'telegram' });
    await contacts.deliver(b.message({ user: '98', at: t(0), text: 'hi' }));
    const derived = forWorkspace(ws, await tap.drain());
    expect(derived).toHaveLength(2);
    for (const e of derived)
      expect(Object.keys(e.metadata).filter((k) => k.startsWith('caused_by_workflow') || k === 'caused_by_execution_id')).toEqual([]);
  });

  it('ignores types it does not handle, its own crm.contact.* events included', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ig', platform: 'instagram' });
    await contacts.deliver(b.orderCreated({ at: t(0), orderId: 'o1' }));
    const derived = forWorkspace(ws, await tap.drain());
    expect(derived).toEqual([]);
    // A crm.contact.created of its own fed back in.
    await contacts.deliver(b.message({ user: 'IG9', at: t(0) }));
    const created = forWorkspace(ws, await tap.drain()).find((e) => e.type === 'crm.contact.created');
    expect(created).toBeDefined();
    expect(await contacts.deliver(created!)).toBe(204);
    expect(forWorkspace(ws, await tap.drain())).toEqual([]);
    expect(await count(ws, 'contacts')).toBe(1);
  });
});

describe('contacts: order tolerance', () => {
  it('resolves a follow/unfollow race by platform time, whatever arrives first', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_line', platform: 'line' });
    // The unfollow happened last but is delivered first; the late follow must not resubscribe.
    await contacts.deliver(b.unfollow({ user: 'U1', at: t(20) }));
    await contacts.deliver(b.follow({ user: 'U1', at: t(10) }));
    expect(await contactOf(ws, b.contactId('U1'))).toMatchObject({ subscribed: false, subscription_at: t(20), first_seen_at: t(10) });
    // And both concurrently, for another user.
    await Promise.all([contacts.deliver(b.follow({ user: 'U2', at: t(10) })), contacts.deliver(b.unfollow({ user: 'U2', at: t(20) }))]);
    expect(await contactOf(ws, b.contactId('U2'))).toMatchObject({ subscribed: false, subscription_at: t(20) });
  });

  it('ends a shuffled sequence in the same state as the ordered one', async () => {
    // Coalescing off, so activity times are exact and comparable.
    const service = () => createContactsService({ config: { coalesceMs: 0 } });
    http('contacts-exact', envelopeConsumer('contacts', service().handle));
    const exact = await serve('contacts-exact', 'contacts');
    try {
      const sequenceFor = (ws: string) => {
        const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_line', platform: 'line' });
        const group = { platform_conversation_id: 'C-group', kind: 'group' as const, title: 'Friends' };
        const events = [
          b.follow({ user: 'U1', at: t(0), rawId: 'f1' }),
          b.message({ user: 'U1', at: t(10), rawId: 'm1', text: 'hello', profile: { display_name: 'Ana' } }),
          b.message({ user: 'U1', at: t(20), rawId: 'm2', conversation: group }),
          b.closed({ user: 'U1', at: t(30), rawId: 'c1' }),
          b.message({ user: 'U1', at: t(40), rawId: 'm3', profile: { display_name: 'Ana María' } }),
          b.unfollow({ user: 'U1', at: t(50), rawId: 'u1' }),
          b.sent({ user: 'U1', at: t(60), rawId: 's1' }),
          b.closed({ user: 'U1', at: t(70), rawId: 'c2' }),
          b.reaction({ user: 'U1', at: t(80), rawId: 'r1', emoji: '👍' }),
        ];
        return { b, events };
      };
      const ordered = sequenceFor(uniqueName('ws'));
      const mixed = sequenceFor(uniqueName('ws'));
      for (const e of ordered.events) await contacts.deliver(e).then(() => exact.deliver(e));
      for (const e of shuffled(mixed.events, 7)) await exact.deliver(e);

      const read = async (s: typeof ordered) => ({
        contact: bookkeeping(await contactOf(s.b.scope.workspaceId, s.b.contactId('U1'))),
        direct: bookkeeping(await conversationOf(s.b.scope.workspaceId, s.b.conversationId('U1'))),
        group: bookkeeping(await conversationOf(s.b.scope.workspaceId, s.b.conversationId('C-group'))),
      });
      const [a, z] = [await read(ordered), await read(mixed)];
      const withoutWorkspace = (x: Awaited<ReturnType<typeof read>>) =>
        JSON.parse(
          JSON.stringify(x)
            .replaceAll(ordered.b.scope.workspaceId, 'WS')
            .replaceAll(mixed.b.scope.workspaceId, 'WS')
            .replace(/"(contact_id|conversation_id)":"[^"]+"/g, '"$1":"ID"'),
        );
      expect(withoutWorkspace(z)).toEqual(withoutWorkspace(a));
      expect(a.contact).toMatchObject({ display_name: 'Ana María', subscribed: false, last_seen_at: t(80), last_outbound_at: t(60) });
      expect(a.direct).toMatchObject({ status: 'closed', closed_at: t(70), last_inbound_at: t(40) });
      expect(a.group).toMatchObject({ status: 'open', kind: 'group', title: 'Friends' });

      // Exactly one contact.created and one conversation.created per thread, whatever the order.
      const published = await tap.drain();
      for (const s of [ordered, mixed]) {
        const types = forWorkspace(s.b.scope.workspaceId, published)
          .map((e) => e.type)
          .filter((x) => x.endsWith('created'))
          .sort();
        expect(types).toEqual(['crm.contact.created', 'messaging.conversation.created', 'messaging.conversation.created']);
      }
    } finally {
      await exact.close();
    }
  });
});

describe('contacts: re-confirmed titles', () => {
  it('keeps a group title re-confirmed after a different one, whatever the delivery order (coalescing off)', async () => {
    http('contacts-exact-titles', envelopeConsumer('contacts', createContactsService({ config: { coalesceMs: 0 } }).handle));
    const exact = await serve('contacts-exact-titles', 'contacts');
    try {
      const sequenceFor = (ws: string) => {
        const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_tg', platform: 'telegram' });
        const group = (title: string) => ({ platform_conversation_id: '-100777', kind: 'group' as const, title });
        return {
          b,
          // Renamed to B at t20 and back to A at t30 (which re-confirms A).
          a0: b.message({ user: 'U1', at: t(0), rawId: 'a0', conversation: group('A') }),
          b20: b.message({ user: 'U2', at: t(20), rawId: 'b20', conversation: group('B') }),
          a30: b.message({ user: 'U3', at: t(30), rawId: 'a30', conversation: group('A') }),
        };
      };
      const ordered = sequenceFor(uniqueName('ws'));
      const late = sequenceFor(uniqueName('ws'));
      for (const e of [ordered.a0, ordered.b20, ordered.a30]) expect(await exact.deliver(e)).toBe(204);
      // B arrives last, and the re-confirmation twice.
      for (const e of [late.a0, late.a30, late.a30, late.b20]) expect(await exact.deliver(e)).toBe(204);

      for (const s of [ordered, late]) {
        expect(await conversationOf(s.b.scope.workspaceId, s.b.conversationId('-100777'))).toMatchObject({ title: 'A', title_at: t(30) });
      }
      await tap.drain();
    } finally {
      await exact.close();
    }
  });
});

describe('contacts: write budget', () => {
  it('writes a contact and its conversation once for a burst of 40 messages within the coalescing window', async () => {
    const service = createContactsService({ config: { coalesceMs: 60_000 } });
    http('contacts-burst', envelopeConsumer('contacts', service.handle));
    const burst = await serve('contacts-burst', 'contacts');
    try {
      const ws = uniqueName('ws');
      const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_wa', platform: 'whatsapp' });
      for (let i = 0; i < 40; i++) expect(await burst.deliver(b.message({ user: '5511999', at: t(i), text: `msg ${i}` }))).toBe(204);
      expect(service.store().counts).toMatchObject({ contacts: 1, conversations: 1 });

      // Past the window: one more write each, and last seen moves.
      await burst.deliver(b.message({ user: '5511999', at: t(100), text: 'later' }));
      expect(service.store().counts).toMatchObject({ contacts: 2, conversations: 2 });
      expect(await contactOf(ws, b.contactId('5511999'))).toMatchObject({ last_seen_at: t(100), first_seen_at: t(0) });
      // A profile change inside the window is written at once.
      await burst.deliver(b.message({ user: '5511999', at: t(101), profile: { display_name: 'Bia' } }));
      expect(service.store().counts.contacts).toBe(3);
      await tap.drain();
    } finally {
      await burst.close();
    }
  });
});

describe('contacts: crash between commit and publish', () => {
  it('publishes the derived events on the redelivery, with the same ids', async () => {
    const real = createEnvelopePublisher(EVENTS);
    let failures = 1;
    const flaky: EnvelopePublisher = {
      async publish(e) {
        if (failures > 0) {
          failures--;
          throw new Error('simulated crash after commit');
        }
        return real.publish(e);
      },
    };
    const service = createContactsService({ publisher: flaky, config: { coalesceMs: 60_000 } });
    http('contacts-flaky', envelopeConsumer('contacts', service.handle));
    const flakyServer = await serve('contacts-flaky', 'contacts');
    try {
      const ws = uniqueName('ws');
      const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ms', platform: 'messenger' });
      const hello = b.message({ user: 'PSID1', at: t(0), text: 'hi' });

      expect(await flakyServer.deliver(hello, 1)).toBe(500);
      expect(await count(ws, 'contacts')).toBe(1);
      expect(await flakyServer.deliver(hello, 2)).toBe(204);
      expect(await flakyServer.deliver(hello, 3)).toBe(204);

      // Attempt 1 may have published one of the two before failing; attempt 2
      // re-publishes both with identical ids, which downstream dedupes; attempt 3 adds nothing.
      const derived = forWorkspace(ws, await tap.drain());
      const byId = new Map(derived.map((e) => [e.id, e]));
      expect([...byId.values()].map((e) => e.type).sort()).toEqual(['crm.contact.created', 'messaging.conversation.created']);
      expect(derived.length).toBeLessThanOrEqual(3);
      for (const e of derived) expect(e).toEqual(byId.get(e.id));
    } finally {
      await flakyServer.close();
    }
  });
});

describe('contacts: replay of an event whose derived events were never published', () => {
  // Pub/Sub down for every delivery attempt of the original: it commits, then dead-letters.
  const outagePublisher: EnvelopePublisher = {
    publish: async () => {
      throw new Error('simulated Pub/Sub outage');
    },
  };
  let outage: Served;
  beforeAll(async () => {
    http('contacts-outage', envelopeConsumer('contacts', createContactsService({ publisher: outagePublisher }).handle));
    outage = await serve('contacts-outage', 'contacts');
  });
  afterAll(async () => {
    await outage?.close();
  });

  const outboxOf = async (ws: string, eventId: string) => (await workspace(ws).collection('contact_outbox').doc(eventId).get()).data();

  /** Every attempt fails to publish (the policy's count does not matter): the effects are committed, the message dead-letters. */
  async function strand(event: Envelope): Promise<string[]> {
    for (let attempt = 1; attempt <= 3; attempt++) expect(await outage.deliver(event, attempt)).toBe(500);
    const outbox = await outboxOf(event.workspace_id, event.id);
    expect(outbox).toMatchObject({ published: false });
    return (JSON.parse(outbox?.envelopes) as Envelope[]).map((e) => e.id).sort();
  }

  it('publishes what the first delivery committed once, marks it, and a replay delivered again changes nothing', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ig', platform: 'instagram' });
    const hello = b.message({ user: 'IG-out', at: t(0), text: 'hi', profile: { username: 'ana.o' } });
    const strandedIds = await strand(hello);
    expect(await count(ws, 'contacts')).toBe(1);
    expect(forWorkspace(ws, await tap.drain())).toEqual([]);

    const replay = await replayOf(hello);
    expect(replay.metadata).toMatchObject({ source: 'replay', replay_of: hello.id });
    expect(await contacts.deliver(replay)).toBe(204);

    const derived = forWorkspace(ws, await tap.drain());
    expect(derived.map((e) => e.id).sort()).toEqual(strandedIds);
    expect(derived.map((e) => e.type).sort()).toEqual(['crm.contact.created', 'messaging.conversation.created']);
    for (const e of derived) expect(e.metadata).toMatchObject({ source: 'derived', caused_by_event_id: hello.id });
    expect(await outboxOf(ws, hello.id)).toMatchObject({ published: true });
    // The replay itself found the contact and conversation as the original left them: it derives nothing.
    expect(await outboxOf(ws, replay.id)).toBeUndefined();
    const contactAfterReplay = await contactOf(ws, b.contactId('IG-out'));
    expect(contactAfterReplay).toMatchObject({ created_by_event_id: hello.id, username: 'ana.o' });

    // Pub/Sub redelivers the replay, one after another and concurrently.
    expect(await contacts.deliver(replay, 2)).toBe(204);
    expect(await Promise.all([3, 4, 5].map((i) => contacts.deliver(replay, i)))).toEqual([204, 204, 204]);
    expect(forWorkspace(ws, await tap.drain())).toEqual([]);
    expect(await contactOf(ws, b.contactId('IG-out'))).toEqual(contactAfterReplay);
    expect(await count(ws, 'contacts')).toBe(1);
    expect(await count(ws, 'conversations')).toBe(1);
  });

  it('publishes each stranded event under its one id when the first deliveries of the replay are concurrent', async () => {
    const ws = uniqueName('ws');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_tg', platform: 'telegram' });
    const hello = b.message({ user: 'TG-out', at: t(0), text: '/start' });
    const strandedIds = await strand(hello);

    const replay = await replayOf(hello);
    expect(await Promise.all([1, 2, 3].map((i) => contacts.deliver(replay, i)))).toEqual([204, 204, 204]);

    // Concurrent deliveries may each publish the pending entry, as concurrent redeliveries of the
    // original would: the copies carry the same ids and content, which consumers dedupe.
    const derived = forWorkspace(ws, await tap.drain());
    const byId = new Map(derived.map((e) => [e.id, e]));
    expect([...byId.keys()].sort()).toEqual(strandedIds);
    for (const e of derived) expect(e).toEqual(byId.get(e.id));
    expect(await outboxOf(ws, hello.id)).toMatchObject({ published: true });
    expect(await count(ws, 'contacts')).toBe(1);
  });
});

describe('contacts: retention', () => {
  it('keeps outbox entries for EVENT_LOG_RETENTION_DAYS, as long as the log entry of their event', async () => {
    const config = contactsConfig({ EVENT_LOG_RETENTION_DAYS: '7', EVENTS_TOPIC: EVENTS });
    expect(config.retentionDays).toBe(7);
    http('contacts-retention', envelopeConsumer('contacts', createContactsService({ config }).handle));
    const server = await serve('contacts-retention', 'contacts');
    try {
      const ws = uniqueName('ws');
      const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_wa', platform: 'whatsapp' });
      const hello = b.message({ user: '5511777', at: t(0), text: 'oi' });
      expect(await server.deliver(hello)).toBe(204);
      const outbox = (await workspace(ws).collection('contact_outbox').doc(hello.id).get()).data();
      expect((outbox?.expire_at as Timestamp).toMillis() - Date.parse(outbox?.created_at)).toBe(7 * DAY_MS);
      await tap.drain();
    } finally {
      await server.close();
    }
  });
});
