import type { DocumentReference } from '@google-cloud/firestore';
import { foldContacts, foldConversations, survivorFirst } from '../../shared/contacts/merge';
import type { ContactDoc, ConversationDoc } from '../../shared/contacts/model';
import { observe, type Observation } from '../../shared/contacts/observe';
import { planEvent, StaleRedirect } from '../../shared/contacts/plan';
import { contactId, conversationId, type Envelope } from '../../shared/envelope';
import { normalize } from '../../shared/normalize/normalize';
import { staticRouter } from '../../shared/normalize/router';
import { BSUID, WA_USER, whatsapp, whatsappIds } from '../fixtures/normalize/whatsapp';
import { testEnvelopes } from '../helpers/envelopes';

const WS = 'ws_unit';
const BLK = 'blk_wa';
const NOW = '2026-04-01T00:00:00.000Z';
const opts = { coalesceMs: 60_000, now: NOW };
const ref = (path: string) => ({ path }) as unknown as DocumentReference;

async function observed(body: unknown): Promise<Observation> {
  const { envelopes } = await normalize(
    { platform: 'whatsapp', kind: 'webhook', body: JSON.stringify(body), receivedAt: NOW },
    staticRouter({ workspaceId: WS, blockId: BLK }),
  );
  return observe(envelopes[0] as Envelope) as Observation;
}

const contact = (id: string, first: string, extra: Partial<ContactDoc> = {}): ContactDoc => ({
  contact_id: id,
  workspace_id: WS,
  block_id: BLK,
  platform: 'whatsapp',
  platform_user_id: id,
  profile_at: {},
  first_seen_at: first,
  created_by_event_id: 'evt_x',
  created_at: NOW,
  updated_at: NOW,
  ...extra,
});

const conversation = (id: string, first: string, extra: Partial<ConversationDoc> = {}): ConversationDoc => ({
  conversation_id: id,
  workspace_id: WS,
  status: 'open',
  first_event_at: first,
  announced: true,
  created_by_event_id: 'evt_x',
  created_at: NOW,
  updated_at: NOW,
  ...extra,
});

describe('contacts: which ids name one WhatsApp person', () => {
  it('a BSUID-keyed contact whose phone number the event names has that number as an alias', async () => {
    const obs = await observed(whatsappIds.phoneAndBsuidText);
    expect(obs.contact).toMatchObject({ contact_id: contactId(WS, BLK, BSUID), platform_user_id: BSUID, aliases: [WA_USER] });
  });

  it('a phone-keyed or a BSUID-only contact has none; nor do other platforms', async () => {
    expect((await observed(whatsapp.text)).contact?.aliases).toBeUndefined();
    expect((await observed(whatsappIds.usernameText)).contact?.aliases).toBeUndefined();
    const line = testEnvelopes({ workspaceId: WS, blockId: 'blk_line', platform: 'line' });
    expect(observe(line.message({ user: 'U1', at: NOW, profile: { phone: '+4900' } }))?.contact?.aliases).toBeUndefined();
  });
});

describe('contacts: merging two contacts of one person', () => {
  it('the first seen survives; a tie goes to the smaller id', () => {
    const a = { id: 'ct_b', first: '2024-01-01T00:00:00.000Z', doc: 1 };
    const b = { id: 'ct_a', first: '2024-01-02T00:00:00.000Z', doc: 2 };
    expect(survivorFirst(a, b)[0].id).toBe('ct_b');
    expect(survivorFirst(b, a)[0].id).toBe('ct_b');
    expect(survivorFirst({ ...a, first: b.first }, b)[0].id).toBe('ct_a');
  });

  it('folds profile values by the time that set them, widens activity times, keeps the newer subscription', () => {
    const s = contact('ct_s', '2024-01-01T00:00:00.000Z', {
      display_name: 'Old',
      phone: '49151',
      profile_at: { display_name: '2024-01-01T00:00:00.000Z', phone: '2024-01-01T00:00:00.000Z' },
      last_inbound_at: '2024-01-05T00:00:00.000Z',
      subscribed: true,
      subscription_at: '2024-01-01T00:00:00.000Z',
    });
    const m = contact('ct_m', '2023-12-01T00:00:00.000Z', {
      display_name: 'New',
      username: 'jonas',
      profile_at: { display_name: '2024-02-01T00:00:00.000Z', username: '2024-02-01T00:00:00.000Z' },
      last_inbound_at: '2024-02-01T00:00:00.000Z',
      last_outbound_at: '2024-01-03T00:00:00.000Z',
      subscribed: false,
      subscription_at: '2024-01-02T00:00:00.000Z',
    });
    expect(foldContacts(s, m, NOW)).toMatchObject({
      contact_id: 'ct_s',
      display_name: 'New',
      username: 'jonas',
      phone: '49151',
      first_seen_at: '2023-12-01T00:00:00.000Z',
      last_inbound_at: '2024-02-01T00:00:00.000Z',
      last_outbound_at: '2024-01-03T00:00:00.000Z',
      subscribed: false,
    });
  });

  it('folds conversations onto the surviving contact, status derived again', () => {
    const s = conversation('conv_s', '2024-01-02T00:00:00.000Z', {
      contact_id: 'ct_m',
      closed_at: '2024-01-03T00:00:00.000Z',
      status: 'closed',
    });
    const m = conversation('conv_m', '2024-01-01T00:00:00.000Z', { last_inbound_at: '2024-01-04T00:00:00.000Z' });
    expect(foldConversations(s, m, 'ct_s', NOW)).toMatchObject({
      conversation_id: 'conv_s',
      contact_id: 'ct_s',
      first_event_at: '2024-01-01T00:00:00.000Z',
      status: 'open',
    });
  });

  it('an event naming two existing contacts merges them once: a redirect, the folded survivor, one crm.contact.merged', async () => {
    const obs = await observed(whatsappIds.phoneAndBsuidText);
    const [byBsuid, byPhone] = [contactId(WS, BLK, BSUID), contactId(WS, BLK, WA_USER)];
    const [convBsuid, convPhone] = [conversationId(WS, BLK, BSUID), conversationId(WS, BLK, WA_USER)];
    const plan = () =>
      planEvent(
        obs,
        [
          { id: byBsuid, ref: ref(`contacts/${byBsuid}`), doc: contact(byBsuid, '2024-03-31T10:15:32.000Z') as never },
          { id: byPhone, ref: ref(`contacts/${byPhone}`), doc: contact(byPhone, '2024-03-31T10:15:30.000Z') as never },
        ],
        [
          { id: convBsuid, ref: ref(`conversations/${convBsuid}`), doc: undefined },
          {
            id: convPhone,
            ref: ref(`conversations/${convPhone}`),
            doc: conversation(convPhone, '2024-03-31T10:15:30.000Z', { contact_id: byPhone }) as never,
          },
        ],
        opts,
      );
    const { writes, derived } = plan();
    expect(writes).toEqual(
      expect.arrayContaining([
        { ref: ref(`contacts/${byBsuid}`), doc: expect.objectContaining({ merged_into: byPhone }), write: 'update' },
        {
          ref: ref(`contacts/${byPhone}`),
          doc: expect.objectContaining({ contact_id: byPhone, username: 'jonas.weber' }),
          write: 'update',
        },
        { ref: ref(`conversations/${convBsuid}`), doc: expect.objectContaining({ merged_into: convPhone }), write: 'create' },
      ]),
    );
    const merged = derived.filter((e) => e.type === 'crm.contact.merged');
    expect(merged).toHaveLength(1);
    expect(merged[0]?.data).toEqual({ contact_id: byPhone, merged_contact_ids: [byBsuid] });
    // Another event finding the same pair would publish it under the same id: it is one merge.
    const other = { ...obs, event_id: 'evt_other' };
    const again = planEvent(
      other,
      [
        { id: byBsuid, ref: ref('a'), doc: contact(byBsuid, '2024-03-31T10:15:32.000Z') as never },
        { id: byPhone, ref: ref('b'), doc: contact(byPhone, '2024-03-31T10:15:30.000Z') as never },
      ],
      [],
      opts,
    );
    expect(again.derived.find((e) => e.type === 'crm.contact.merged')?.id).toBe(merged[0]?.id);
  });

  it('an id seen for the first time gets a redirect to the contact the event lands on', async () => {
    const obs = await observed(whatsappIds.phoneAndBsuidText);
    const [byBsuid, byPhone] = [contactId(WS, BLK, BSUID), contactId(WS, BLK, WA_USER)];
    const { writes, derived } = planEvent(
      obs,
      [
        { id: byBsuid, ref: ref('bsuid'), doc: contact(byBsuid, '2024-03-31T10:15:32.000Z') as never },
        { id: byPhone, ref: ref('phone'), doc: undefined },
      ],
      [],
      opts,
    );
    expect(writes).toContainEqual({ ref: ref('phone'), doc: expect.objectContaining({ merged_into: byBsuid }), write: 'create' });
    expect(derived.map((e) => e.type)).not.toContain('crm.contact.merged');
  });

  it('a target that became a redirect meanwhile aborts the plan (resolve again)', async () => {
    const obs = await observed(whatsapp.text);
    const id = contactId(WS, BLK, WA_USER);
    expect(() => planEvent(obs, [{ id, ref: ref('x'), doc: { merged_into: 'ct_other' } }], [], opts)).toThrow(StaleRedirect);
  });
});
