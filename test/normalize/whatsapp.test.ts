import {
  BSUID,
  NEW_BSUID,
  NEW_WA_USER,
  PARENT_BSUID,
  PHONE_ID,
  USERNAME,
  WA_USER,
  whatsapp,
  whatsappIds,
} from '../fixtures/normalize/whatsapp';
import { check, expectedEventId, ids, RECEIVED_AT, run, type Case } from './support';

const thread = {
  contact_id: ids.contact(WA_USER),
  conversation_id: ids.conversation(WA_USER),
  contact: { platform_user_id: WA_USER, display_name: 'Jonas Weber', phone: WA_USER },
  conversation: { platform_conversation_id: WA_USER, kind: 'direct' },
};
const received = (id: string, type: string, extra: Record<string, unknown> = {}) => ({
  type: 'messaging.message.received',
  rawId: id,
  data: { ...thread, message: { id: ids.message(id), platform_message_id: id, direction: 'inbound', type, ...extra } },
});

const cases: Case[] = [
  {
    name: 'text (seconds-as-string timestamp, profile name)',
    body: whatsapp.text,
    expected: [
      {
        ...received('wamid.TEXT1', 'text', { text: 'Hallo, wo ist meine Bestellung?', attachments: [] }),
        timestamp: '2024-03-31T10:15:30.000Z',
        kind: 'messages.text',
        rawPath: 'entry[0].changes[0].value.messages[0]',
      },
    ],
  },
  {
    name: 'media, location and contacts',
    body: whatsapp.media,
    expected: [
      received('wamid.IMG', 'image', {
        text: 'Damaged box',
        attachments: [{ type: 'image', platform_media_id: '880000000000001', mime_type: 'image/jpeg', caption: 'Damaged box' }],
      }),
      received('wamid.VID', 'video', { attachments: [{ type: 'video', platform_media_id: '880000000000002' }] }),
      received('wamid.AUD', 'audio', { attachments: [{ type: 'audio', platform_media_id: '880000000000003' }] }),
      received('wamid.DOC', 'file', { attachments: [{ type: 'file', name: 'invoice.pdf' }] }),
      received('wamid.STK', 'sticker', { attachments: [{ type: 'sticker' }] }),
      received('wamid.LOC', 'location', {
        attachments: [{ type: 'location', location: { latitude: 52.52, longitude: 13.405, name: 'Shop', address: 'Alexanderplatz 1' } }],
      }),
      received('wamid.CON', 'contacts', { attachments: [{ type: 'contact', name: 'Eva Schmidt', value: '+49 151 0000000' }] }),
    ],
  },
  {
    name: 'reaction',
    body: whatsapp.reaction,
    expected: [
      {
        type: 'messaging.reaction.added',
        rawId: 'wamid.REACT',
        data: { ...thread, reaction: { emoji: '👍', kind: 'emoji', target: ids.ref('wamid.OUT1') } },
      },
    ],
  },
  {
    name: 'unreaction (no emoji) → removed',
    body: whatsapp.unreaction,
    expected: [{ type: 'messaging.reaction.removed', data: { reaction: { kind: 'emoji', target: ids.ref('wamid.OUT1') } } }],
  },
  {
    name: 'template quick-reply button → postback only',
    body: whatsapp.button,
    expected: [
      {
        type: 'messaging.postback',
        data: { ...thread, postback: { payload: 'TRACK_ORDER', title: 'Track order', source: 'button', message: ids.ref('wamid.BTN') } },
      },
    ],
  },
  {
    name: 'interactive button_reply → postback',
    body: whatsapp.buttonReply,
    expected: [
      {
        type: 'messaging.postback',
        kind: 'messages.interactive.button_reply',
        data: { postback: { payload: 'YES', title: 'Yes', source: 'button' } },
      },
    ],
  },
  {
    name: 'interactive list_reply → postback',
    body: whatsapp.listReply,
    expected: [{ type: 'messaging.postback', data: { postback: { payload: 'SLOT_9', title: '9:00', source: 'list' } } }],
  },
  {
    name: 'order (prices as strings) → commerce.order.created',
    body: whatsapp.order,
    expected: [
      {
        type: 'commerce.order.created',
        rawId: 'wamid.ORDER',
        data: {
          contact_id: ids.contact(WA_USER),
          conversation_id: ids.conversation(WA_USER),
          order: {
            id: 'wamid.ORDER',
            status: 'created',
            currency: 'EUR',
            total: 30,
            catalog_id: '770000000000001',
            note: 'Gift wrap please',
            items: [
              { product_id: 'SKU-1', quantity: 2, unit_price: 12.5, currency: 'EUR' },
              { product_id: 'SKU-2', quantity: 1, unit_price: 5 },
            ],
          },
        },
      },
    ],
  },
  {
    name: 'statuses sent, delivered, read, failed (one message id, several statuses)',
    body: whatsapp.statuses,
    expected: [
      {
        type: 'messaging.message.sent',
        rawId: 'wamid.OUT1',
        data: {
          contact: { platform_user_id: WA_USER },
          message: { id: ids.message('wamid.OUT1'), direction: 'outbound', type: 'unknown', attachments: [] },
        },
      },
      {
        type: 'messaging.message.delivered',
        rawId: 'wamid.OUT1',
        rawPath: 'entry[0].changes[0].value.statuses[1]',
        data: { messages: [ids.ref('wamid.OUT1')] },
      },
      {
        type: 'messaging.message.read',
        rawId: 'wamid.OUT1',
        timestamp: '2024-03-31T10:15:02.000Z',
        data: { messages: [ids.ref('wamid.OUT1')] },
      },
      {
        type: 'messaging.message.failed',
        rawId: 'wamid.OUT2',
        rawPath: 'entry[0].changes[0].value.statuses[3]',
        data: {
          message: ids.ref('wamid.OUT2'),
          error: { code: '131047', message: 'Re-engagement message', details: 'More than 24 hours have passed' },
        },
      },
    ],
  },
  {
    name: 'business-app echo → sent',
    body: whatsapp.echo,
    expected: [
      {
        type: 'messaging.message.sent',
        rawId: 'wamid.ECHO',
        kind: 'message_echoes',
        data: { ...thread, message: { direction: 'outbound', text: 'Sent from the WhatsApp Business app' } },
      },
    ],
  },
  {
    name: 'change-level errors → platform.block.error',
    body: whatsapp.errors,
    expected: [
      {
        type: 'platform.block.error',
        data: { account_id: PHONE_ID, error: { code: '131000', message: 'Something went wrong', details: 'Unknown error' } },
      },
    ],
  },
  {
    name: 'edit → message.edited of the original message',
    body: whatsapp.edit,
    expected: [
      {
        type: 'messaging.message.edited',
        rawId: 'wamid.EDIT',
        data: { message: { id: ids.message('wamid.TEXT1'), text: 'Hallo, wo ist mein Paket?' } },
      },
    ],
  },
  {
    name: 'revoke → message.deleted',
    body: whatsapp.revoke,
    expected: [{ type: 'messaging.message.deleted', data: { message: ids.ref('wamid.TEXT1') } }],
  },
  {
    name: 'unsupported message type',
    body: whatsapp.unsupportedType,
    expected: [],
    rejected: [{ reason: 'unsupported', path: 'entry[0].changes[0].value.messages[0]', detail: /messages\.unsupported.*131051/ }],
  },
  {
    name: 'other change fields are unsupported',
    body: whatsapp.templateStatus,
    expected: [],
    rejected: [{ reason: 'unsupported', path: 'entry[0].changes[0]', detail: /changes\.message_template_status_update/ }],
  },
  {
    name: 'missing phone_number_id',
    body: whatsapp.noPhoneId,
    expected: [],
    rejected: [{ reason: 'invalid', path: 'entry[0].changes[0]', detail: 'entry[0].changes[0].value.metadata.phone_number_id is missing' }],
  },
  {
    name: 'missing from rejects that message only',
    body: whatsapp.missingFrom,
    expected: [received('wamid.OK', 'text')],
    rejected: [
      { reason: 'invalid', path: 'entry[0].changes[0].value.messages[1]', detail: 'entry[0].changes[0].value.messages[1].from is missing' },
    ],
  },
];

describe('whatsapp normalize', () => {
  it.each(cases)('$name', (c) => check('whatsapp', c).then(() => undefined));

  it('tells statuses of one message apart by status in the id', async () => {
    const { envelopes } = await run('whatsapp', whatsapp.statuses);
    expect(envelopes[1]?.id).toBe(expectedEventId('whatsapp', 'messaging.message.delivered', 'wamid.OUT1', ['delivered']));
  });

  it('a change-level error reported again hours later is a new event; within the hour it dedupes', async () => {
    const at = async (receivedAt: string) => (await run('whatsapp', whatsapp.errors, { receivedAt })).envelopes.map((e) => e.id);
    const first = await at('2024-03-31T10:15:31.000Z');
    expect(first).toHaveLength(1);
    // A redelivery in the same hour keeps the id.
    expect(await at('2024-03-31T10:59:59.999Z')).toEqual(first);
    // The same error three hours later (and a redelivery across the hour boundary: the documented trade-off) is another event.
    expect(await at('2024-03-31T13:15:31.000Z')).not.toEqual(first);
    expect(await at('2024-03-31T11:00:00.000Z')).not.toEqual(first);
  });

  it('routes by metadata.phone_number_id', async () => {
    const seen: string[][] = [];
    await run(
      'whatsapp',
      whatsapp.text,
      {},
      { byAccounts: async (_p, a) => (seen.push([...a]), undefined), byBlockId: async () => undefined },
    );
    expect(seen).toEqual([[PHONE_ID]]);
  });
});

describe('whatsapp identifiers: phone numbers, BSUIDs, parent BSUIDs, usernames', () => {
  const bsuidThread = (phone?: string) => ({
    contact_id: ids.contact(BSUID),
    conversation_id: ids.conversation(BSUID),
    contact: { platform_user_id: BSUID, display_name: 'Jonas Weber', username: USERNAME, ...(phone ? { phone } : {}) },
    conversation: { platform_conversation_id: BSUID, kind: 'direct' },
  });

  it('a username user (from "", from_user_id set) is received under the BSUID', async () => {
    const [env] = await check('whatsapp', {
      name: 'username',
      body: whatsappIds.usernameText,
      expected: [
        { type: 'messaging.message.received', rawId: 'wamid.U1', data: { ...bsuidThread(), message: { text: 'Hi, it is Jonas' } } },
      ],
    });
    expect(env?.data).not.toHaveProperty('contact.phone');
    expect(env?.metadata.platform_detail).toEqual({ user: { user_id: BSUID } });
  });

  it('a message without any from field, only from_user_id', async () => {
    await check('whatsapp', {
      name: 'no from',
      body: whatsappIds.noFromField,
      expected: [{ type: 'messaging.message.received', rawId: 'wamid.U3', data: bsuidThread() }],
    });
  });

  it('the same user with phone number, BSUID and parent BSUID: same contact and conversation, every id in platform_detail', async () => {
    const [env] = await check('whatsapp', {
      name: 'all ids',
      body: whatsappIds.phoneAndBsuidText,
      expected: [{ type: 'messaging.message.received', data: bsuidThread(WA_USER) }],
    });
    expect(env?.metadata.platform_detail).toEqual({ user: { wa_id: WA_USER, user_id: BSUID, parent_user_id: PARENT_BSUID } });
  });

  it('a status with empty recipient_id and recipient_user_id set is delivered to the BSUID contact', async () => {
    const [env] = await check('whatsapp', {
      name: 'status',
      body: whatsappIds.usernameStatus,
      expected: [
        { type: 'messaging.message.delivered', rawId: 'wamid.OUT9', data: { ...bsuidThread(), messages: [ids.ref('wamid.OUT9')] } },
      ],
    });
    expect(env?.metadata.platform_detail).toMatchObject({
      user: { user_id: BSUID, parent_user_id: PARENT_BSUID },
      pricing: expect.any(Object),
    });
  });

  it("a failed status naming only the phone number takes the BSUID from the change's contacts[]", async () => {
    await check('whatsapp', {
      name: 'failed',
      body: whatsappIds.failedPhoneOnly,
      expected: [{ type: 'messaging.message.failed', data: { ...bsuidThread(WA_USER), error: { code: '131026' } } }],
    });
  });

  it('a status naming no one (both ids empty) is rejected with its reason', async () => {
    await check('whatsapp', {
      name: 'nobody',
      body: whatsappIds.statusNoRecipient,
      expected: [],
      rejected: [
        {
          reason: 'invalid',
          path: 'entry[0].changes[0].value.statuses[0]',
          detail: 'entry[0].changes[0].value.statuses[0].recipient_id is missing',
        },
      ],
    });
  });

  it('an echo to a username user (to "", to_user_id set)', async () => {
    await check('whatsapp', {
      name: 'echo',
      body: whatsappIds.echoToUsername,
      expected: [{ type: 'messaging.message.sent', rawId: 'wamid.ECHO2', data: { ...bsuidThread(), message: { direction: 'outbound' } } }],
    });
  });

  it('phone-number-only payloads keep the ids they always had', async () => {
    const { envelopes } = await run('whatsapp', whatsapp.text);
    expect(envelopes[0]?.data).toMatchObject({ contact_id: ids.contact(WA_USER), conversation_id: ids.conversation(WA_USER) });
    expect(envelopes[0]?.metadata.platform_detail).toBeUndefined();
  });

  const changed = (key: string, contact: Record<string, unknown>, previous: string[]) => ({
    contact_id: ids.contact(key),
    conversation_id: ids.conversation(key),
    contact: { platform_user_id: key, ...contact },
    conversation: { platform_conversation_id: key, kind: 'direct' },
    previous: { contact_id: ids.contact(previous[0] as string), platform_user_ids: previous },
  });

  it("a BSUID change (Meta's current system message: previous_user_id in system) is contact.identity_changed under the new BSUID", async () => {
    const [env] = await check('whatsapp', {
      name: 'user id change',
      body: whatsappIds.userIdChanged,
      expected: [
        {
          type: 'messaging.contact.identity_changed',
          rawId: 'wamid.SYS1',
          kind: 'messages.system.user_changed_user_id',
          data: changed(NEW_BSUID, {}, [BSUID]),
        },
      ],
    });
    expect(env?.data).not.toHaveProperty('contact.phone');
    expect(env?.metadata.platform_detail).toEqual({
      system_type: 'user_changed_user_id',
      user: { user_id: NEW_BSUID, parent_user_id: 'DE.ENT.99815799212886844830' },
      previous_parent_user_id: PARENT_BSUID,
    });
  });

  it('the earlier draft of a BSUID change (old BSUID as from_user_id) maps the same way', async () => {
    await check('whatsapp', {
      name: 'user id change (draft)',
      body: whatsappIds.userIdChangedDraft,
      expected: [{ type: 'messaging.contact.identity_changed', data: changed(NEW_BSUID, {}, [BSUID]) }],
    });
  });

  it('a number change names the new number and BSUID, and both old ids (BSUID first: the old contact key)', async () => {
    await check('whatsapp', {
      name: 'number change',
      body: whatsappIds.numberChanged,
      expected: [
        {
          type: 'messaging.contact.identity_changed',
          kind: 'messages.system.user_changed_number',
          data: changed(NEW_BSUID, { phone: NEW_WA_USER }, [BSUID, WA_USER]),
        },
      ],
    });
  });

  it('a number change without BSUIDs (the shape before them) is keyed by the numbers', async () => {
    await check('whatsapp', {
      name: 'number change, phone only',
      body: whatsappIds.numberChangedPhoneOnly,
      expected: [{ type: 'messaging.contact.identity_changed', data: changed(NEW_WA_USER, { phone: NEW_WA_USER }, [WA_USER]) }],
    });
  });

  it('an identity change naming no new id is rejected with its reason; other system messages stay unsupported', async () => {
    const path = 'entry[0].changes[0].value.messages[0]';
    await check('whatsapp', {
      name: 'no new id',
      body: whatsappIds.userIdChangedNoNewId,
      expected: [],
      rejected: [{ reason: 'invalid', path, detail: `${path}.system.user_id is missing` }],
    });
    await check('whatsapp', {
      name: 'security code',
      body: whatsappIds.identityNotice,
      expected: [],
      rejected: [{ reason: 'unsupported', path, detail: 'event kind messages.system.user_identity_changed has no mapping' }],
    });
  });

  it('a REQUEST_CONTACT_INFO reply (contacts message with origin and vcard) from a username user', async () => {
    await check('whatsapp', {
      name: 'contact info reply',
      body: whatsappIds.contactInfoReply,
      expected: [{ type: 'messaging.message.received', rawId: 'wamid.CINFO', data: { ...bsuidThread(), message: { type: 'contacts' } } }],
    });
  });
});

describe('whatsapp payload variations', () => {
  it('a voice note from an older API version (type voice) is an audio message', async () => {
    await check('whatsapp', {
      name: 'voice',
      body: whatsappIds.voice,
      expected: [
        received('wamid.VOICE', 'audio', {
          attachments: [{ type: 'audio', platform_media_id: '880000000000009', mime_type: 'audio/ogg; codecs=opus' }],
        }),
      ],
    });
  });

  it('a body without top-level object: the endpoint says it is WhatsApp', async () => {
    await check('whatsapp', { name: 'no object', body: whatsappIds.noObject, expected: [received('wamid.NOOBJ', 'text')] });
  });

  it('a trimmed change value (no messaging_product, contacts[], field, timestamp, entry time): receive time, said in platform_detail', async () => {
    const [env] = await check('whatsapp', {
      name: 'trimmed',
      body: whatsappIds.trimmed,
      expected: [
        { type: 'messaging.message.received', timestamp: RECEIVED_AT, data: { contact: { platform_user_id: WA_USER, phone: WA_USER } } },
      ],
    });
    expect(env?.metadata.platform_detail).toEqual({ timestamp_source: 'received_at' });
  });

  it("a message without timestamp takes its entry's time when the entry has one", async () => {
    const [env] = await check('whatsapp', {
      name: 'entry time',
      body: whatsappIds.entryTime,
      expected: [{ type: 'messaging.message.received', timestamp: '2024-03-31T10:15:35.000Z' }],
    });
    expect(env?.metadata.platform_detail).toBeUndefined();
  });

  it('a field a type really needs stays a rejection with its reason', async () => {
    await check('whatsapp', {
      name: 'reaction without target',
      body: whatsappIds.reactionNoTarget,
      expected: [],
      rejected: [
        {
          reason: 'invalid',
          path: 'entry[0].changes[0].value.messages[0]',
          detail: 'entry[0].changes[0].value.messages[0].reaction.message_id is missing',
        },
      ],
    });
  });
});
