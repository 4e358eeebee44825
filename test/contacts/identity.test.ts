/**
 * The contact identity rules (shared/contacts/identity.ts), pure: which id a
 * contact id derives from, which platforms have redirects, and which other ids
 * of the person an envelope names, for every platform in the table.
 */
import { carriedIds, contactKey, hasRedirects, otherIds, PERSON_IDS } from '../../shared/contacts/identity';
import { observe, type Observation } from '../../shared/contacts/observe';
import { contactId, type Envelope } from '../../shared/envelope';
import { normalize } from '../../shared/normalize/normalize';
import { staticRouter } from '../../shared/normalize/router';
import { PLATFORMS, type Platform } from '../../shared/platforms';
import { messenger, USER } from '../fixtures/normalize/messenger';
import { messengerIds, USER_REF } from '../fixtures/normalize/messenger-ids';

const WS = 'ws_unit';
const BLK = 'blk_fb';

async function observed(platform: Platform, body: unknown): Promise<Observation> {
  const { envelopes } = await normalize(
    { platform, kind: 'webhook', body: JSON.stringify(body), receivedAt: '2024-03-31T10:30:00.000Z' },
    staticRouter({ workspaceId: WS, blockId: BLK }),
  );
  return observe(envelopes[0] as Envelope) as Observation;
}

describe('contact identity rules', () => {
  it('every platform has its kinds of id; only WhatsApp and Messenger name a person by more than one', () => {
    expect(Object.keys(PERSON_IDS).sort()).toEqual([...PLATFORMS].sort());
    expect(PLATFORMS.filter((p) => hasRedirects(p)).sort()).toEqual(['messenger', 'whatsapp']);
    expect(hasRedirects('not-a-platform')).toBe(false);
  });

  it('the contact id derives from the first kind the payload names, whatever else it names', () => {
    expect(contactKey('whatsapp', { bsuid: 'US.1', phone: '4915' })).toBe('US.1');
    expect(contactKey('whatsapp', { phone: '4915' })).toBe('4915');
    expect(contactKey('messenger', { psid: '24', user_ref: 'r1' })).toBe('24');
    expect(contactKey('messenger', { user_ref: 'r1' })).toBe('r1');
    expect(contactKey('instagram', { igsid: '53', user_ref: 'r1' })).toBe('53');
    expect(contactKey('telegram', { user_id: '7' })).toBe('7');
  });

  it('empty strings are absent values; a kind the platform does not have is no id', () => {
    expect(contactKey('whatsapp', { bsuid: '', phone: '4915' })).toBe('4915');
    expect(contactKey('messenger', { psid: '', user_ref: '' })).toBeUndefined();
    expect(contactKey('instagram', { user_ref: 'r1' })).toBeUndefined();
    expect(contactKey('line', { psid: '24' })).toBeUndefined();
  });

  it("a secondary id is carried where the table says: Messenger's user_ref in platform_detail, also when it is the key", () => {
    expect(carriedIds('messenger', { psid: '24', user_ref: 'r1' })).toEqual({ user_ref: 'r1' });
    expect(carriedIds('messenger', { user_ref: 'r1' })).toEqual({ user_ref: 'r1' });
    expect(carriedIds('messenger', { psid: '24' })).toEqual({});
    expect(carriedIds('instagram', { igsid: '53', user_ref: 'r1' })).toEqual({});
    // WhatsApp's phone number travels in the contact itself, not in platform_detail.
    expect(carriedIds('whatsapp', { bsuid: 'US.1', phone: '4915' })).toEqual({});
  });

  it("the other ids an envelope names: each carried secondary id and an identity change's old ids, never the contact's own, each once", () => {
    expect(otherIds('whatsapp', { platform_user_id: 'US.1', phone: '4915' }, undefined)).toEqual(['4915']);
    expect(otherIds('whatsapp', { platform_user_id: '4915', phone: '4915' }, undefined)).toEqual([]);
    expect(otherIds('whatsapp', { platform_user_id: 'US.2', phone: '4915' }, undefined, ['US.1', '4915'])).toEqual(['4915', 'US.1']);
    expect(otherIds('messenger', { platform_user_id: '24' }, { user_ref: 'r1' })).toEqual(['r1']);
    expect(otherIds('messenger', { platform_user_id: 'r1' }, { user_ref: 'r1' })).toEqual([]);
    expect(otherIds('messenger', { platform_user_id: '24', phone: '4915' }, { user_ref: '' })).toEqual([]);
    expect(otherIds('instagram', { platform_user_id: '53' }, { user_ref: 'r1' })).toEqual([]);
    expect(otherIds('line', { platform_user_id: 'U1', phone: '4915' }, { user_ref: 'r1' })).toEqual([]);
  });
});

describe('contacts: which ids name one Messenger person', () => {
  it('a reply naming the user_ref in prior_message: the PSID contact, the user_ref its alias', async () => {
    const obs = await observed('messenger', messengerIds.replyWithPrior);
    expect(obs.contact).toMatchObject({ contact_id: contactId(WS, BLK, USER), platform_user_id: USER, aliases: [USER_REF] });
  });

  it('the checkbox optin alone, a PSID-only message, a guest: one id each, no alias', async () => {
    expect((await observed('messenger', messengerIds.checkboxOptin)).contact).toMatchObject({
      contact_id: contactId(WS, BLK, USER_REF),
      platform_user_id: USER_REF,
    });
    expect((await observed('messenger', messengerIds.checkboxOptin)).contact?.aliases).toBeUndefined();
    expect((await observed('messenger', messenger.text)).contact?.aliases).toBeUndefined();
    expect((await observed('messenger', messengerIds.guestText)).contact?.aliases).toBeUndefined();
  });
});
