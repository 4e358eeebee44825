import { messenger, OTHER_USER, page, PAGE, USER } from '../fixtures/normalize/messenger';
import { check, expectedEventId, ids, run, type Case } from './support';

const thread = {
  contact_id: ids.contact(USER),
  conversation_id: ids.conversation(USER),
  contact: { platform_user_id: USER },
  conversation: { platform_conversation_id: USER, kind: 'direct' },
};
const received = (mid: string, type: string, extra: Record<string, unknown> = {}) => ({
  type: 'messaging.message.received',
  rawId: mid,
  data: { ...thread, message: { id: ids.message(mid), platform_message_id: mid, direction: 'inbound', type, ...extra } },
});

const cases: Case[] = [
  {
    name: 'text message',
    body: messenger.text,
    expected: [
      {
        ...received('m_text1', 'text', { text: 'Hi, where is my order?', attachments: [] }),
        timestamp: '2024-03-31T10:15:30.123Z',
        kind: 'messaging.message',
      },
    ],
  },
  {
    name: 'a batch of entries and messaging items',
    body: messenger.batch,
    expected: [
      { ...received('m_b1', 'text', { text: 'one' }), rawPath: 'entry[0].messaging[0]' },
      { ...received('m_b2', 'text', { text: 'two' }), rawPath: 'entry[0].messaging[1]' },
      { ...received('m_b3', 'text', { text: 'three' }), rawPath: 'entry[1].messaging[0]' },
    ],
  },
  {
    name: 'every attachment kind',
    body: messenger.attachments,
    expected: [
      received('m_img', 'image', { attachments: [{ type: 'image', url: 'https://cdn.example/img.jpg' }] }),
      received('m_vid', 'video', { attachments: [{ type: 'video', url: 'https://cdn.example/v.mp4' }] }),
      received('m_aud', 'audio', { attachments: [{ type: 'audio', url: 'https://cdn.example/a.mp4' }] }),
      received('m_file', 'file', { attachments: [{ type: 'file', url: 'https://cdn.example/f.pdf' }] }),
      received('m_loc', 'location', { attachments: [{ type: 'location', location: { latitude: 52.52, longitude: 13.405 } }] }),
      received('m_stk', 'sticker', { attachments: [{ type: 'sticker', name: '369239263222822' }] }),
      received('m_fb', 'share', { attachments: [{ type: 'fallback', name: 'A shared link' }] }),
    ],
  },
  {
    name: 'echo of a page message → sent, contact is the recipient',
    body: messenger.echo,
    expected: [
      {
        type: 'messaging.message.sent',
        rawId: 'm_echo',
        data: { ...thread, message: { platform_message_id: 'm_echo', direction: 'outbound', text: 'Thanks, checking now' } },
      },
    ],
  },
  {
    name: 'quick reply → one postback (like a WhatsApp button reply)',
    body: messenger.quickReply,
    expected: [
      {
        type: 'messaging.postback',
        rawId: 'm_qr',
        data: { ...thread, postback: { payload: 'COLOR_RED', title: 'Red', source: 'quick_reply', message: ids.ref('m_qr') } },
      },
    ],
  },
  {
    name: 'one delivery naming several messages',
    body: messenger.delivery,
    expected: [
      {
        type: 'messaging.message.delivered',
        data: { ...thread, messages: [ids.ref('m_out1'), ids.ref('m_out2')], watermark: '2024-03-31T10:15:29.000Z' },
      },
    ],
  },
  {
    name: 'read watermark',
    body: messenger.read,
    expected: [{ type: 'messaging.message.read', data: { ...thread, messages: [], watermark: '2024-03-31T10:15:29.500Z' } }],
  },
  {
    name: 'reaction added and removed (removal has no emoji)',
    body: messenger.reactions,
    expected: [
      {
        type: 'messaging.reaction.added',
        rawId: 'm_out1',
        data: { ...thread, reaction: { emoji: '\u2764\uFE0F', kind: 'emoji', target: ids.ref('m_out1') } },
      },
      { type: 'messaging.reaction.removed', rawId: 'm_out1', data: { ...thread, reaction: { kind: 'emoji', target: ids.ref('m_out1') } } },
    ],
  },
  {
    name: 'postback button',
    body: messenger.postback,
    expected: [
      { type: 'messaging.postback', rawId: 'm_pb', data: { postback: { payload: 'GET_STARTED', title: 'Get Started', source: 'button' } } },
    ],
  },
  {
    name: 'referral (m.me link) → extension type',
    body: messenger.referral,
    expected: [{ type: 'messaging.referral.received', data: { ...thread, referral: { source: 'SHORTLINK', ref: 'summer-sale' } } }],
  },
  {
    name: 'optin → extension type',
    body: messenger.optin,
    expected: [{ type: 'messaging.optin.received', data: { optin: { type: 'notification_messages', ref: 'WEEKLY', token: 'tok123' } } }],
  },
  {
    name: 'message edit → extension type',
    body: messenger.messageEdit,
    expected: [
      {
        type: 'messaging.message.edited',
        rawId: 'm_text1',
        data: { message: { id: ids.message('m_text1'), text: 'Hi, where is my parcel?' } },
      },
    ],
  },
  { name: 'standby items are split too', body: messenger.standby, expected: [received('m_sb', 'text')] },
  {
    name: 'page feed comments; other feed items are unsupported',
    body: messenger.feedComment,
    expected: [
      {
        type: 'messaging.comment.created',
        rawId: '1200000000000001_555_777',
        timestamp: '2024-03-31T10:15:25.000Z',
        data: {
          contact_id: ids.contact(USER),
          contact: { platform_user_id: USER, display_name: 'Ana Lima' },
          comment: { id: '1200000000000001_555_777', text: 'Love this!', post_id: '1200000000000001_555' },
        },
      },
      {
        type: 'messaging.comment.created',
        data: { comment: { id: '1200000000000001_555_778', parent_id: '1200000000000001_555_777', post_id: '1200000000000001_555' } },
      },
    ],
    rejected: [{ reason: 'unsupported', path: 'entry[0].changes[2]', detail: /changes\.feed\.reaction\.add/ }],
  },
  {
    name: 'handover protocol → unsupported, kept',
    body: messenger.handover,
    expected: [],
    rejected: [{ reason: 'unsupported', path: 'entry[0].messaging[0]', detail: /messaging\.pass_thread_control/ }],
  },
  {
    name: 'a missing sender.id rejects that item only',
    body: messenger.missingSender,
    expected: [received('m_ok', 'text')],
    rejected: [{ reason: 'invalid', path: 'entry[0].messaging[1]', detail: 'entry[0].messaging[1].sender.id is missing' }],
  },
  {
    name: 'a comment the Page itself wrote → unsupported, kept (never a comment.created with the Page as contact)',
    body: messenger.ownFeedComment,
    expected: [],
    rejected: [
      {
        reason: 'unsupported',
        path: 'entry[0].changes[0]',
        detail: `changes.feed.comment.add written by the account itself (from.id ${PAGE} is the entry's account): not a contact's comment, so no messaging.comment.created`,
      },
    ],
  },
  {
    name: 'the same item twice in one body → one envelope',
    body: messenger.duplicateInBatch,
    expected: [{ ...received('m_dup', 'text', { text: 'twice' }), rawPath: 'entry[0].messaging[0]' }],
  },
  {
    name: 'numbers as strings and ids as numbers',
    body: messenger.stringy,
    expected: [{ ...received('m_str', 'text'), timestamp: '2024-03-31T10:15:30.999Z' }],
  },
];

describe('messenger normalize', () => {
  it.each(cases)('$name', (c) => check('messenger', c).then(() => undefined));

  it('derives the event id from platform, Block, type and mid', async () => {
    const { envelopes } = await run('messenger', messenger.text);
    expect(envelopes[0]?.id).toBe(expectedEventId('messenger', 'messaging.message.received', 'm_text1'));
  });

  it('watermark-only receipts of two users with one watermark get distinct ids, naming the user', async () => {
    for (const [mine, theirs, type] of [
      [messenger.read, messenger.readByOther, 'messaging.message.read'],
      [messenger.deliveryWatermark, messenger.deliveryWatermarkByOther, 'messaging.message.delivered'],
    ] as const) {
      const [a] = (await run('messenger', mine)).envelopes;
      const [b] = (await run('messenger', theirs)).envelopes;
      expect([a?.type, b?.type]).toEqual([type, type]);
      expect(a?.data).toMatchObject({ contact: { platform_user_id: USER }, messages: [] });
      expect(b?.data).toMatchObject({ contact: { platform_user_id: OTHER_USER }, messages: [] });
      expect(a?.id).not.toBe(b?.id);
      expect(a?.metadata.raw_platform_event_id).toBe(
        `watermark:${USER}:${type === 'messaging.message.read' ? 1711880129500 : 1711880129000}`,
      );
      expect(b?.metadata.raw_platform_event_id).toBe(
        `watermark:${OTHER_USER}:${type === 'messaging.message.read' ? 1711880129500 : 1711880129000}`,
      );
    }
  });

  it('an item repeated in one body keeps the id it gets when delivered alone', async () => {
    const twice = await run('messenger', messenger.duplicateInBatch);
    const alone = await run(
      'messenger',
      page({ id: PAGE, time: 1711880130000, messaging: [(messenger.duplicateInBatch.entry[0] as { messaging: unknown[] }).messaging[0]] }),
    );
    expect(twice.envelopes.map((e) => e.id)).toEqual([expectedEventId('messenger', 'messaging.message.received', 'm_dup')]);
    expect(alone.envelopes.map((e) => e.id)).toEqual(twice.envelopes.map((e) => e.id));
    expect(twice.rejections).toEqual([]);
  });

  it('one mid on different content in one body: both kept, told apart by position; an exact repeat among them collapses', async () => {
    const item = (text: string) => ({
      sender: { id: USER },
      recipient: { id: PAGE },
      timestamp: 1711880130123,
      message: { mid: 'm_same', text },
    });
    const body = page({ id: PAGE, time: 1711880130000, messaging: [item('one'), item('one'), item('two')] });
    const { envelopes } = await run('messenger', body);
    expect(envelopes.map((e) => [e.metadata.raw_path, (e.data as { message: { text: string } }).message.text])).toEqual([
      ['entry[0].messaging[0]', 'one'],
      ['entry[0].messaging[2]', 'two'],
    ]);
    expect(envelopes.map((e) => e.id)).toEqual([
      expectedEventId('messenger', 'messaging.message.received', 'm_same', ['at', 'entry[0].messaging[0]', 0]),
      expectedEventId('messenger', 'messaging.message.received', 'm_same', ['at', 'entry[0].messaging[2]', 0]),
    ]);
    expect((await run('messenger', body)).envelopes.map((e) => e.id)).toEqual(envelopes.map((e) => e.id));
  });

  it('routes by page id through the router', async () => {
    const seen: string[][] = [];
    const router = {
      byAccounts: async (_p: string, accounts: readonly string[]) => (seen.push([...accounts]), undefined),
      byBlockId: async () => undefined,
    };
    const { envelopes, rejections } = await run('messenger', messenger.text, {}, router);
    expect(envelopes).toEqual([]);
    expect(seen).toEqual([[PAGE]]);
    expect(rejections).toMatchObject([
      { reason: 'unroutable', path: 'entry[0].messaging[0]', detail: `no connected Block for messenger account ${PAGE}` },
    ]);
  });
});
