/**
 * One Messenger contact per person when a checkbox plugin's user_ref comes
 * before the PSID (shared/contacts/identity.ts): the contacts subscriber on
 * the emulators, fed envelopes the real normalizer made from Messenger
 * payloads (test/fixtures/normalize/messenger-ids.ts), in several delivery
 * orders and with redeliveries.
 */
import { contactId, conversationId, type Envelope } from '../../shared/envelope';
import { messenger, USER } from '../fixtures/normalize/messenger';
import { GUEST_REF, messengerIds, USER_REF } from '../fixtures/normalize/messenger-ids';
import {
  derivedFor,
  envelopeMaker,
  expectOneContactAndConversation,
  expectOnePersonDerived,
  leadsTo,
  records,
  serve,
  shuffled,
  tapTopic,
  type Served,
  type TopicTap,
} from './harness';
import { uniqueName } from '../helpers/names';

const EVENTS = uniqueName('contacts-fb-events');
process.env.EVENTS_TOPIC = EVENTS;
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../functions/contacts');

const BLK = 'blk_fb';

const envelopesOf = envelopeMaker('messenger', BLK, '2024-03-31T10:30:00.000Z');

let tap: TopicTap<Envelope>;
let contacts: Served;
beforeAll(async () => {
  tap = await tapTopic<Envelope>(EVENTS);
  contacts = await serve('contacts');
});
afterAll(async () => {
  await contacts?.close();
});

const derivedOf = (ws: string) => derivedFor(tap, ws);

describe('contacts: one Messenger contact per person', () => {
  it.each([
    ['in order', -1],
    ['shuffled (seed 1)', 1],
    ['shuffled (seed 2)', 2],
    ['shuffled (seed 3)', 3],
  ])(
    'the checkbox optin (user_ref), the reply naming it beside the PSID, redeliveries: one contact, one conversation (%s)',
    async (_name, seed) => {
      const ws = uniqueName('ws');
      const deliveries: Envelope[] = [];
      for (const body of [messengerIds.checkboxOptin, messengerIds.replyWithPrior, messengerIds.checkboxOptin, messengerIds.replyWithPrior])
        deliveries.push(...(await envelopesOf(ws, body)));
      for (const e of seed < 0 ? deliveries : shuffled(deliveries, seed)) expect(await contacts.deliver(e)).toBe(204);

      const people = await records(ws, 'contacts');
      expect(people).toHaveLength(1);
      const survivor = people[0]?.id as string;
      // Whichever arrived first keeps its id; the other id leads to it.
      expect([contactId(ws, BLK, USER), contactId(ws, BLK, USER_REF)]).toContain(survivor);
      expect(await leadsTo(ws, 'contacts', contactId(ws, BLK, USER))).toBe(survivor);
      expect(await leadsTo(ws, 'contacts', contactId(ws, BLK, USER_REF))).toBe(survivor);
      const threads = await records(ws, 'conversations');
      expect(threads).toEqual([expect.objectContaining({ contact_id: survivor })]);
      expect(await leadsTo(ws, 'conversations', conversationId(ws, BLK, USER))).toBe(threads[0]?.id);
      expect(await leadsTo(ws, 'conversations', conversationId(ws, BLK, USER_REF))).toBe(threads[0]?.id);

      const derived = await derivedOf(ws);
      expectOnePersonDerived(derived);

      // A later PSID-only message lands on the same contact.
      for (const e of await envelopesOf(ws, messenger.read)) expect(await contacts.deliver(e)).toBe(204);
      await expectOneContactAndConversation(ws);
    },
  );

  it.each([
    ['PSID first', false],
    ['user_ref first', true],
  ])(
    'a PSID contact and the same person by user_ref: merged once when the reply names both, later events of either id on the survivor (%s)',
    async (_name, reverse) => {
      const ws = uniqueName('ws');
      const psidOnly = await envelopesOf(ws, messenger.text); // 10:15:30, before the optin
      const refOnly = await envelopesOf(ws, messengerIds.checkboxOptin); // 10:20:00
      const both = await envelopesOf(ws, messengerIds.replyWithPrior); // 10:25:00
      const order = reverse ? [...refOnly, ...psidOnly, ...both] : [...psidOnly, ...refOnly, ...both];
      for (const e of [...order, ...order.slice().reverse()]) expect(await contacts.deliver(e)).toBe(204);

      const people = await records(ws, 'contacts');
      // The first seen survives: the PSID's message is older than the optin.
      const survivor = contactId(ws, BLK, USER);
      expect(people).toEqual([expect.objectContaining({ contact_id: survivor, platform_user_id: USER })]);
      expect(await leadsTo(ws, 'contacts', contactId(ws, BLK, USER_REF))).toBe(survivor);
      const threads = await records(ws, 'conversations');
      expect(threads).toEqual([expect.objectContaining({ conversation_id: conversationId(ws, BLK, USER), contact_id: survivor })]);

      const merged = (await derivedOf(ws)).filter((e) => e.type === 'crm.contact.merged');
      expect(merged.map((e) => e.data)).toEqual([{ contact_id: survivor, merged_contact_ids: [contactId(ws, BLK, USER_REF)] }]);

      // Later events of either id land on the survivor; a redelivery merges nothing again.
      for (const e of [...(await envelopesOf(ws, messengerIds.checkboxOptin)), ...(await envelopesOf(ws, messenger.read)), ...both])
        expect(await contacts.deliver(e)).toBe(204);
      await expectOneContactAndConversation(ws);
      expect((await derivedOf(ws)).filter((e) => e.type === 'crm.contact.merged')).toHaveLength(0);
    },
  );

  it('a chat plugin guest is a contact of its own user_ref, and nothing ties it to another person', async () => {
    const ws = uniqueName('ws');
    for (const body of [messengerIds.guestText, messenger.text, messengerIds.guestText])
      for (const e of await envelopesOf(ws, body)) expect(await contacts.deliver(e)).toBe(204);
    const people = await records(ws, 'contacts');
    expect(people.map((p) => p.id).sort()).toEqual([contactId(ws, BLK, GUEST_REF), contactId(ws, BLK, USER)].sort());
    expect((await derivedOf(ws)).filter((e) => e.type === 'crm.contact.merged')).toHaveLength(0);
  });
});
