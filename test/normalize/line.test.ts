import { StaticBlockRegistry } from '../../shared/contracts/blocks';
import { registryRouter } from '../../shared/normalize/router';
import { DESTINATION, GROUP, LINE_USER, ROOM, lineBodies } from '../fixtures/normalize/line';
import { BLK, WS, check, ids, run, type Case } from './support';

const thread = {
  contact_id: ids.contact(LINE_USER),
  conversation_id: ids.conversation(LINE_USER),
  contact: { platform_user_id: LINE_USER },
  conversation: { platform_conversation_id: LINE_USER, kind: 'direct' },
};
const received = (id: string, type: string, extra: Record<string, unknown> = {}) => ({
  type: 'messaging.message.received',
  data: { ...thread, message: { id: ids.message(id), platform_message_id: id, direction: 'inbound', type, ...extra } },
});

const cases: Case[] = [
  {
    name: 'text from a user (ms timestamp, webhookEventId as raw id)',
    body: lineBodies.text,
    expected: [
      {
        ...received('468789577898262530', 'text', { text: 'Hello! こんにちは' }),
        rawId: '01HT0000000000000000000001',
        timestamp: '2024-03-31T10:15:30.789Z',
      },
    ],
  },
  {
    name: 'group message without userId: the group stands for the sender',
    body: lineBodies.groupAnonymous,
    expected: [
      {
        type: 'messaging.message.received',
        data: {
          contact: { platform_user_id: GROUP },
          conversation: { platform_conversation_id: GROUP, kind: 'group' },
          conversation_id: ids.conversation(GROUP),
        },
      },
    ],
  },
  {
    name: 'room message',
    body: lineBodies.room,
    expected: [
      {
        type: 'messaging.message.received',
        data: { contact_id: ids.contact(LINE_USER), conversation: { platform_conversation_id: ROOM, kind: 'room' } },
      },
    ],
  },
  {
    name: 'image, video, audio, file, location, sticker',
    body: lineBodies.media,
    expected: [
      received('468789577898262540', 'image', { attachments: [{ type: 'image', platform_media_id: '468789577898262540' }] }),
      received('468789577898262541', 'video', { attachments: [{ type: 'video', url: 'https://cdn.example/v.mp4', duration_ms: 60000 }] }),
      received('468789577898262542', 'audio', { attachments: [{ type: 'audio', duration_ms: 3000 }] }),
      received('468789577898262543', 'file', { attachments: [{ type: 'file', name: 'menu.pdf', size: 2048 }] }),
      received('468789577898262544', 'location', {
        attachments: [{ type: 'location', location: { latitude: 35.659, longitude: 139.703, name: 'Shop', address: 'Shibuya, Tokyo' } }],
      }),
      {
        ...received('468789577898262545', 'sticker', { attachments: [{ type: 'sticker', name: '1988', value: '446' }] }),
        rawPath: 'events[5]',
      },
    ],
  },
  {
    name: 'follow and unfollow',
    body: lineBodies.followUnfollow,
    expected: [
      { type: 'messaging.follow', data: thread },
      { type: 'messaging.unfollow', data: thread },
    ],
  },
  {
    name: 'postback with datetime picker params',
    body: lineBodies.postback,
    expected: [
      {
        type: 'messaging.postback',
        data: { ...thread, postback: { payload: 'action=reserve&slot=9', source: 'button', params: { datetime: '2024-04-01T09:00' } } },
      },
    ],
  },
  {
    name: 'join, memberJoined, memberLeft, leave → extension types',
    body: lineBodies.groupMembership,
    expected: [
      { type: 'messaging.bot.joined', data: { conversation_id: ids.conversation(GROUP), members: [] } },
      { type: 'messaging.member.joined', data: { members: [{ platform_user_id: 'U4444' }, { platform_user_id: 'U5555' }] } },
      { type: 'messaging.member.left', data: { members: [{ platform_user_id: 'U4444' }] } },
      { type: 'messaging.bot.left', data: { conversation: { platform_conversation_id: GROUP, kind: 'group' } } },
    ],
  },
  {
    name: 'beacon',
    body: lineBodies.beacon,
    expected: [{ type: 'messaging.beacon.detected', data: { beacon: { hwid: 'd41d8cd98f', type: 'enter', device_message: 'ab' } } }],
  },
  {
    name: 'unsend → message.deleted',
    body: lineBodies.unsend,
    expected: [{ type: 'messaging.message.deleted', data: { message: ids.ref('468789577898262530') } }],
  },
  {
    name: 'messageEdited → message.edited',
    body: lineBodies.edited,
    expected: [{ type: 'messaging.message.edited', data: { message: { id: ids.message('468789577898262530'), text: 'Hello (edited)' } } }],
  },
  {
    name: 'accountLink → unsupported',
    body: lineBodies.accountLink,
    expected: [],
    rejected: [{ reason: 'unsupported', path: 'events[0]', detail: /accountLink/ }],
  },
  {
    name: 'one webhookEventId on two events → two distinct ids',
    body: lineBodies.sharedEventId,
    expected: [
      { type: 'messaging.message.received', rawId: '01HTSHARED' },
      { type: 'messaging.message.received', rawId: '01HTSHARED' },
    ],
  },
  {
    name: 'follow from a user source without userId',
    body: lineBodies.noUserInFollow,
    expected: [],
    rejected: [{ reason: 'invalid', path: 'events[0]', detail: 'events[0].source.userId is missing' }],
  },
];

describe('line normalize', () => {
  it.each(cases)('$name', (c) => check('line', c).then(() => undefined));

  const registry = new StaticBlockRegistry([
    { block_id: BLK, workspace_id: WS, platform: 'line', account_id: DESTINATION, status: 'connected' },
  ]);
  const router = registryRouter(registry, async () => undefined);

  it('routes by destination', async () => {
    const { envelopes } = await run('line', lineBodies.text, {}, router);
    expect(envelopes).toMatchObject([{ workspace_id: WS, block_id: BLK }]);
  });

  it("prefers the edge's Block attribute over destination", async () => {
    const { envelopes } = await run(
      'line',
      { ...lineBodies.text, destination: 'Uunknown' },
      { blockId: 'blk_edge', workspaceId: 'ws_edge' },
      router,
    );
    expect(envelopes).toMatchObject([{ workspace_id: 'ws_edge', block_id: 'blk_edge' }]);
  });

  it('rejects an unknown destination as unroutable', async () => {
    const { rejections } = await run('line', { ...lineBodies.text, destination: 'Uunknown' }, {}, router);
    expect(rejections).toMatchObject([{ reason: 'unroutable', path: 'events[0]', detail: 'no connected Block for line account Uunknown' }]);
  });
});
