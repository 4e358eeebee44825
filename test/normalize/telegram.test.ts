import { telegramBodies as tg, TG_OWNER, TG_USER } from '../fixtures/normalize/telegram';
import { check, expectedEventId, ids, run, RECEIVED_AT, type Case } from './support';

const USER = String(TG_USER.id);
const contact = {
  platform_user_id: USER,
  display_name: 'Mia Tan',
  first_name: 'Mia',
  last_name: 'Tan',
  username: 'miatan',
  language_code: 'en',
  is_bot: false,
};
const thread = {
  contact_id: ids.contact(USER),
  conversation_id: ids.conversation(USER),
  contact,
  conversation: { platform_conversation_id: USER, kind: 'direct', title: 'Mia Tan' },
};
/** The contact of a message the business side sent: the private chat's user, as the chat describes them. */
const chatContact = { platform_user_id: USER, display_name: 'Mia Tan', first_name: 'Mia', last_name: 'Tan', username: 'miatan' };
const chatThread = {
  contact_id: ids.contact(USER),
  conversation_id: ids.conversation(USER),
  contact: chatContact,
  conversation: thread.conversation,
};
const msgId = (n: number, chat = USER) => `${chat}:${n}`;
const received = (n: number, type: string, extra: Record<string, unknown> = {}) => ({
  type: 'messaging.message.received',
  data: { ...thread, message: { id: ids.message(msgId(n)), platform_message_id: msgId(n), direction: 'inbound', type, ...extra } },
});

const cases: Case[] = [
  {
    name: 'private text (update_id as raw id, seconds)',
    body: tg.text,
    expected: [
      {
        ...received(10, 'text', { text: 'Hi 😀', attachments: [] }),
        rawId: '900000001',
        timestamp: '2024-03-31T10:15:30.000Z',
        kind: 'message.text',
        rawPath: '',
      },
    ],
  },
  {
    name: 'photo takes the largest size, caption as text',
    body: tg.photo,
    expected: [received(11, 'image', { text: 'this one', attachments: [{ type: 'image', platform_media_id: 'AgAC-large', size: 90000 }] })],
  },
  {
    name: 'document',
    body: tg.document,
    expected: [received(12, 'file', { attachments: [{ type: 'file', name: 'cv.pdf', mime_type: 'application/pdf' }] })],
  },
  { name: 'voice', body: tg.voice, expected: [received(13, 'audio', { attachments: [{ type: 'audio', duration_ms: 3000 }] })] },
  {
    name: 'sticker',
    body: tg.sticker,
    expected: [received(14, 'sticker', { attachments: [{ type: 'sticker', value: '👍', name: 'HotCherry' }] })],
  },
  {
    name: 'location',
    body: tg.location,
    expected: [received(15, 'location', { attachments: [{ type: 'location', location: { latitude: 1.3521, longitude: 103.8198 } }] })],
  },
  {
    name: 'contact',
    body: tg.contact,
    expected: [received(16, 'contacts', { attachments: [{ type: 'contact', name: 'Lee', value: '+6591234567' }] })],
  },
  { name: 'dice', body: tg.dice, expected: [received(17, 'dice', { attachments: [{ type: 'dice', name: '🎲', value: 6 }] })] },
  {
    name: 'group reply',
    body: tg.groupReply,
    expected: [
      {
        type: 'messaging.message.received',
        data: {
          contact_id: ids.contact(USER),
          conversation: { platform_conversation_id: '-1001000000001', kind: 'group', title: 'Shop fans' },
          message: { platform_message_id: '-1001000000001:18', reply_to: ids.ref('-1001000000001:9') },
        },
      },
    ],
  },
  {
    name: 'one update changing 👍 to ❤ → one removed and one added',
    body: tg.reactionChanged,
    expected: [
      {
        type: 'messaging.reaction.added',
        rawId: '900000010',
        data: { ...thread, reaction: { emoji: '❤', kind: 'emoji', target: ids.ref(msgId(20)) } },
      },
      {
        type: 'messaging.reaction.removed',
        rawId: '900000010',
        data: { ...thread, reaction: { emoji: '👍', kind: 'emoji', target: ids.ref(msgId(20)) } },
      },
    ],
  },
  {
    name: 'callback_query → postback (no time of its own: received_at)',
    body: tg.callback,
    expected: [
      {
        type: 'messaging.postback',
        timestamp: RECEIVED_AT,
        data: { ...thread, postback: { payload: 'order:42:cancel', source: 'callback_query', message: ids.ref(msgId(21)) } },
      },
    ],
  },
  {
    name: 'private chat member → kicked = unfollow',
    body: tg.blocked,
    expected: [{ type: 'messaging.unfollow', kind: 'my_chat_member.member->kicked', data: thread }],
  },
  { name: 'private chat kicked → member = follow', body: tg.unblocked, expected: [{ type: 'messaging.follow', data: thread }] },
  {
    name: 'bot added to a group → bot.joined',
    body: tg.botAddedToGroup,
    expected: [{ type: 'messaging.bot.joined', data: { conversation_id: ids.conversation('-1001000000001'), members: [] } }],
  },
  {
    name: 'edited_message → message.edited at edit_date',
    body: tg.edited,
    expected: [
      {
        type: 'messaging.message.edited',
        timestamp: '2024-03-31T10:16:30.000Z',
        data: { message: { id: ids.message(msgId(10)), text: 'Hi there 😀' } },
      },
    ],
  },
  {
    name: 'new_chat_members → member.joined',
    body: tg.newMembers,
    expected: [{ type: 'messaging.member.joined', data: { members: [{ platform_user_id: '555', first_name: 'Ken' }] } }],
  },
  {
    name: 'inline_query → unsupported',
    body: tg.inlineQuery,
    expected: [],
    rejected: [{ reason: 'unsupported', path: '', detail: /inline_query/ }],
  },
  {
    name: 'message without from',
    body: tg.missingFrom,
    expected: [],
    rejected: [{ reason: 'invalid', path: '', detail: 'message.from is missing' }],
  },
  {
    name: 'business_message from the customer → received, the customer is the contact',
    body: tg.businessFromCustomer,
    expected: [{ ...received(30, 'text', { text: 'How much?' }), kind: 'business_message.text' }],
  },
  {
    name: "business_message from the owner (from.id ≠ chat.id) → sent, the chat's user is the contact",
    body: tg.businessFromOwner,
    expected: [
      {
        type: 'messaging.message.sent',
        rawId: '900000021',
        kind: 'business_message.text',
        data: {
          ...chatThread,
          message: {
            id: ids.message(msgId(31)),
            platform_message_id: msgId(31),
            direction: 'outbound',
            type: 'text',
            text: 'It is 10',
            attachments: [],
          },
        },
      },
    ],
  },
  {
    name: "business_message a bot sent on the owner's behalf (sender_business_bot) → sent, the chat's user is the contact",
    body: tg.businessFromBot,
    expected: [
      {
        type: 'messaging.message.sent',
        data: { ...chatThread, message: { platform_message_id: msgId(32), direction: 'outbound', text: 'Auto-reply: we open at 9' } },
      },
    ],
  },
  {
    name: 'edited_business_message from the customer → edited',
    body: tg.editedBusinessFromCustomer,
    expected: [
      {
        type: 'messaging.message.edited',
        data: { ...thread, message: { platform_message_id: msgId(30), direction: 'inbound', text: 'How much is it?' } },
      },
    ],
  },
  {
    name: 'edited_business_message from the owner → unsupported, kept',
    body: tg.editedBusinessFromOwner,
    expected: [],
    rejected: [
      {
        reason: 'unsupported',
        path: '',
        detail: /^edited_business_message\.text sent by the business \(from\.id 999000111, chat\.id 111222333\)/,
      },
    ],
  },
  { name: 'ids as strings', body: tg.stringy, expected: [{ ...received(24, 'text'), rawId: '900000019' }] },
];

describe('telegram normalize', () => {
  it.each(cases)('$name', (c) => check('telegram', c).then(() => undefined));

  it('distinguishes the two reactions of one update by action and emoji', async () => {
    const { envelopes } = await run('telegram', tg.reactionChanged);
    expect(envelopes.map((e) => e.id)).toEqual([
      expectedEventId('telegram', 'messaging.reaction.added', '900000010', ['added', 'emoji:❤']),
      expectedEventId('telegram', 'messaging.reaction.removed', '900000010', ['removed', 'emoji:👍']),
    ]);
  });

  it('a business message sent by the business side never names the owner or bot as the contact', async () => {
    for (const body of [tg.businessFromOwner, tg.businessFromBot]) {
      const { envelopes } = await run('telegram', body);
      expect(envelopes).toHaveLength(1);
      expect((envelopes[0]?.data as { contact: unknown }).contact).toEqual(chatContact);
      expect(envelopes[0]?.metadata.platform_detail).toMatchObject({ business_connection_id: 'bc_1', sender_user_id: String(TG_OWNER.id) });
    }
    expect((await run('telegram', tg.businessFromBot)).envelopes[0]?.metadata.platform_detail).toMatchObject({
      sender_business_bot_id: '7000000001',
    });
  });

  it('routes only by the edge attribute: a registry router without it rejects as unroutable', async () => {
    const router = {
      byAccounts: async () => undefined,
      byBlockId: async (id: string) => (id === 'blk_tg' ? { workspaceId: 'ws_tg', blockId: 'blk_tg' } : undefined),
    };
    expect((await run('telegram', tg.text, {}, router)).rejections).toMatchObject([
      { reason: 'unroutable', detail: 'the item names no telegram account and the message carries no Block' },
    ]);
    expect((await run('telegram', tg.text, { blockId: 'blk_tg' }, router)).envelopes).toMatchObject([
      { workspace_id: 'ws_tg', block_id: 'blk_tg' },
    ]);
  });
});
