/**
 * One WhatsApp contact per person, whichever identifier arrives first: the
 * contacts subscriber on the emulators, fed envelopes the real normalizer
 * made from WhatsApp payloads with phone numbers, BSUIDs and usernames
 * (test/fixtures/normalize/whatsapp.ts), in several delivery orders and with
 * redeliveries.
 */
import { contactId, conversationId, type Envelope } from '../../shared/envelope';
import { BSUID, NEW_BSUID, NEW_WA_USER, USERNAME, WA_USER, whatsapp, whatsappIds } from '../fixtures/normalize/whatsapp';
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

const EVENTS = uniqueName('contacts-wa-events');
process.env.EVENTS_TOPIC = EVENTS;
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../functions/contacts');

const BLK = 'blk_wa';

const envelopesOf = envelopeMaker('whatsapp', BLK, '2024-03-31T10:20:00.000Z');

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

describe('contacts: one WhatsApp contact per person', () => {
  const scenario = [whatsappIds.usernameText, whatsappIds.usernameStatus, whatsappIds.phoneAndBsuidText, whatsappIds.usernameText];

  it.each([
    ['in order', -1],
    ['shuffled (seed 1)', 1],
    ['shuffled (seed 2)', 2],
    ['shuffled (seed 3)', 3],
  ])(
    'a username user, a status, the same user with the phone number, a redelivery: one contact, one conversation (%s)',
    async (_name, seed) => {
      const ws = uniqueName('ws');
      const deliveries: Envelope[] = [];
      for (const body of scenario) deliveries.push(...(await envelopesOf(ws, body)));
      for (const e of seed < 0 ? deliveries : shuffled(deliveries, seed)) expect(await contacts.deliver(e)).toBe(204);

      const people = await records(ws, 'contacts');
      expect(people).toHaveLength(1);
      expect(people[0]).toMatchObject({ contact_id: contactId(ws, BLK, BSUID), username: USERNAME, phone: WA_USER });
      const threads = await records(ws, 'conversations');
      expect(threads).toEqual([expect.objectContaining({ conversation_id: conversationId(ws, BLK, BSUID), contact_id: people[0]?.id })]);
      const derived = await derivedOf(ws);
      expectOnePersonDerived(derived);

      // A later status naming only the phone number lands on the same contact.
      for (const e of await envelopesOf(ws, whatsapp.statuses)) expect(await contacts.deliver(e)).toBe(204);
      await expectOneContactAndConversation(ws);
    },
  );

  it.each([
    ['phone number first', false],
    ['BSUID first', true],
  ])(
    'a contact known by phone number only and the same person by BSUID: merged once, later events of either id on the survivor (%s)',
    async (_name, reverse) => {
      const ws = uniqueName('ws');
      const phoneOnly = await envelopesOf(ws, whatsapp.text); // before BSUIDs: keyed by the phone number
      const usernameOnly = await envelopesOf(ws, whatsappIds.usernameText); // keyed by the BSUID, no phone number
      const both = await envelopesOf(ws, whatsappIds.phoneAndBsuidText); // names both: they are one person
      const order = reverse ? [...usernameOnly, ...phoneOnly, ...both] : [...phoneOnly, ...usernameOnly, ...both];
      for (const e of [...order, ...order.slice().reverse()]) expect(await contacts.deliver(e)).toBe(204);

      const people = await records(ws, 'contacts');
      expect(people).toHaveLength(1);
      // The first seen survives (the phone-number message is the oldest of the three).
      const survivor = contactId(ws, BLK, WA_USER);
      expect(people[0]).toMatchObject({ contact_id: survivor, phone: WA_USER, username: USERNAME, display_name: 'Jonas Weber' });
      const threads = await records(ws, 'conversations');
      expect(threads).toEqual([expect.objectContaining({ conversation_id: conversationId(ws, BLK, WA_USER), contact_id: survivor })]);

      const merged = (await derivedOf(ws)).filter((e) => e.type === 'crm.contact.merged');
      expect(merged).toHaveLength(1);
      expect(merged[0]?.data).toEqual({ contact_id: survivor, merged_contact_ids: [contactId(ws, BLK, BSUID)] });

      // Later events of either identifier land on the survivor; a redelivery merges nothing again.
      const later = [...(await envelopesOf(ws, whatsappIds.usernameStatus)), ...(await envelopesOf(ws, whatsapp.statuses)), ...both];
      for (const e of later) expect(await contacts.deliver(e)).toBe(204);
      await expectOneContactAndConversation(ws);
      expect((await records(ws, 'contacts'))[0]).toMatchObject({ last_outbound_at: expect.any(String) });
      expect((await derivedOf(ws)).filter((e) => e.type === 'crm.contact.merged')).toHaveLength(0);
    },
  );

  /** A fixture body with one id swapped for another (the same user after the change), as a later message. */
  const renamed = (body: unknown, from: string, to: string, id: string, ts: string) =>
    JSON.parse(
      JSON.stringify(body)
        .split(from)
        .join(to)
        .replace(/wamid\.[A-Z0-9]+/, id)
        .replace(/"timestamp":"\d+"/, `"timestamp":"${ts}"`),
    ) as unknown;

  it.each([
    ['in order', -1],
    ['shuffled (seed 1)', 1],
    ['shuffled (seed 2)', 2],
    ['shuffled (seed 4)', 4],
    ['shuffled (seed 5)', 5],
  ])('a BSUID change between messages under the old and the new BSUID: one contact, one conversation (%s)', async (_name, seed) => {
    const ws = uniqueName('ws');
    const deliveries: Envelope[] = [];
    const afterwards = renamed(whatsappIds.usernameText, BSUID, NEW_BSUID, 'wamid.AFTER', '1711880300');
    for (const body of [whatsappIds.usernameText, whatsappIds.userIdChanged, afterwards, whatsappIds.userIdChanged])
      deliveries.push(...(await envelopesOf(ws, body)));
    expect(deliveries.map((e) => e.type)).toContain('messaging.contact.identity_changed');
    for (const e of seed < 0 ? deliveries : shuffled(deliveries, seed)) expect(await contacts.deliver(e)).toBe(204);

    const people = await records(ws, 'contacts');
    expect(people).toHaveLength(1);
    const survivor = people[0]?.id as string;
    expect(await leadsTo(ws, 'contacts', contactId(ws, BLK, BSUID))).toBe(survivor);
    expect(await leadsTo(ws, 'contacts', contactId(ws, BLK, NEW_BSUID))).toBe(survivor);
    expect(await records(ws, 'conversations')).toEqual([expect.objectContaining({ contact_id: survivor })]);
    const derived = await derivedOf(ws);
    expect(derived.filter((e) => e.type === 'crm.contact.merged').length).toBeLessThanOrEqual(1);
    expect(derived.filter((e) => e.type === 'crm.contact.created')).toHaveLength(1);
  });

  it('a number change: the phone-number contact keeps its id, takes the new number, and the new number lands on it', async () => {
    const ws = uniqueName('ws');
    const fromNewNumber = renamed(whatsapp.text, WA_USER, NEW_WA_USER, 'wamid.NEWNUM', '1711880400');
    const order = [whatsapp.text, fromNewNumber, whatsappIds.numberChangedPhoneOnly];
    for (const body of [...order, ...order]) for (const e of await envelopesOf(ws, body)) expect(await contacts.deliver(e)).toBe(204);

    const people = await records(ws, 'contacts');
    // Two contacts existed when the change arrived: merged once, the first seen (the old number's) survives.
    expect(people).toEqual([expect.objectContaining({ contact_id: contactId(ws, BLK, WA_USER), phone: NEW_WA_USER })]);
    expect(await leadsTo(ws, 'contacts', contactId(ws, BLK, NEW_WA_USER))).toBe(contactId(ws, BLK, WA_USER));
    expect(await records(ws, 'conversations')).toHaveLength(1);
    const derived = await derivedOf(ws);
    const merged = derived.filter((e) => e.type === 'crm.contact.merged');
    expect(merged.map((e) => e.data)).toEqual([
      { contact_id: contactId(ws, BLK, WA_USER), merged_contact_ids: [contactId(ws, BLK, NEW_WA_USER)] },
    ]);
  });
});
