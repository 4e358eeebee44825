/**
 * Messenger's second id for a person, the user_ref (shared/contacts/identity.ts):
 * which id the contact id derives from, and the user_ref kept in
 * platform_detail.user_ref for the contacts subscriber. Instagram names a
 * person by one id: a user_ref there is no contact.
 */
import type { Envelope } from '../../shared/envelope';
import { USER } from '../fixtures/normalize/messenger';
import { GUEST_REF, messengerIds, USER_REF } from '../fixtures/normalize/messenger-ids';
import { ids, run } from './support';

const only = async (platform: 'messenger' | 'instagram', body: unknown): Promise<Envelope> => {
  const { envelopes, rejections } = await run(platform, body);
  expect(rejections).toEqual([]);
  expect(envelopes).toHaveLength(1);
  return envelopes[0] as Envelope;
};
const thread = (userId: string) => ({
  contact_id: ids.contact(userId),
  conversation_id: ids.conversation(userId),
  contact: { platform_user_id: userId },
  conversation: { platform_conversation_id: userId, kind: 'direct' },
});

describe('normalize messenger: a person named by a user_ref', () => {
  it("the checkbox plugin's optin (no sender) is the user_ref's contact, said in platform_detail", async () => {
    const env = await only('messenger', messengerIds.checkboxOptin);
    expect(env).toMatchObject({ type: 'messaging.optin.received', data: { ...thread(USER_REF), optin: { ref: 'checkout-42' } } });
    expect(env.metadata.platform_detail).toEqual({ user_ref: USER_REF });
  });

  it('a reply naming the user_ref in prior_message is the PSID contact, with the user_ref beside it', async () => {
    const env = await only('messenger', messengerIds.replyWithPrior);
    expect(env).toMatchObject({ type: 'messaging.message.received', data: thread(USER) });
    expect(env.metadata.platform_detail).toEqual({ user_ref: USER_REF });
  });

  it('an optin with both ids: the PSID is the contact id, the user_ref beside it', async () => {
    const env = await only('messenger', messengerIds.optinWithBoth);
    expect(env).toMatchObject({ type: 'messaging.optin.received', data: thread(USER) });
    expect(env.metadata.platform_detail).toEqual({ user_ref: USER_REF });
  });

  it("a chat plugin guest's message is the guest's user_ref contact", async () => {
    const env = await only('messenger', messengerIds.guestText);
    expect(env).toMatchObject({ type: 'messaging.message.received', data: thread(GUEST_REF) });
    expect(env.metadata.platform_detail).toEqual({ user_ref: GUEST_REF });
  });

  it('a prior_message of another source names no user_ref', async () => {
    const env = await only('messenger', messengerIds.replyOtherPrior);
    expect(env).toMatchObject({ data: thread(USER) });
    expect(env.metadata.platform_detail).toBeUndefined();
  });

  it('redeliveries derive the same ids', async () => {
    for (const body of Object.values(messengerIds)) {
      const [a, b] = [await run('messenger', body), await run('messenger', body)];
      expect(b.envelopes.map((e) => [e.id, (e.data as { contact_id?: string }).contact_id])).toEqual(
        a.envelopes.map((e) => [e.id, (e.data as { contact_id?: string }).contact_id]),
      );
    }
  });
});

describe('normalize instagram: one id per person', () => {
  it('a user_ref in place of the IGSID is rejected as a missing sender.id', async () => {
    const body = JSON.parse(JSON.stringify(messengerIds.guestText).replace('"page"', '"instagram"')) as unknown;
    const { envelopes, rejections } = await run('instagram', body);
    expect(envelopes).toEqual([]);
    expect(rejections).toEqual([expect.objectContaining({ reason: 'invalid', detail: 'entry[0].messaging[0].sender.id is missing' })]);
  });

  it('a user_ref beside the IGSID is not kept: Instagram has no second id', async () => {
    const body = JSON.parse(JSON.stringify(messengerIds.replyWithPrior).replace('"page"', '"instagram"')) as unknown;
    const env = await only('instagram', body);
    expect(env).toMatchObject({ data: thread(USER) });
    expect(env.metadata.platform_detail).toBeUndefined();
  });
});
