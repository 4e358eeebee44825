import { StaticBlockRegistry } from '../../shared/contracts/blocks';
import { registryRouter } from '../../shared/normalize/router';
import { IG_ACCOUNT, IG_USER, instagram } from '../fixtures/normalize/instagram';
import { BLK, WS, check, ids, run, type Case } from './support';

const thread = {
  contact_id: ids.contact(IG_USER),
  conversation_id: ids.conversation(IG_USER),
  contact: { platform_user_id: IG_USER },
  conversation: { platform_conversation_id: IG_USER, kind: 'direct' },
};
const received = (mid: string, type: string, extra: Record<string, unknown> = {}) => ({
  type: 'messaging.message.received',
  rawId: mid,
  data: { ...thread, message: { id: ids.message(mid), platform_message_id: mid, direction: 'inbound', type, ...extra } },
});

const cases: Case[] = [
  {
    name: 'text with escaped unicode',
    body: instagram.text,
    expected: [received('aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAw', 'text', { text: 'Olá! 👋 Is this in stock?' })],
  },
  {
    name: 'every attachment kind',
    body: instagram.attachments,
    expected: [
      received('ig_img', 'image', { attachments: [{ type: 'image', url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1' }] }),
      received('ig_vid', 'video', { attachments: [{ type: 'video' }] }),
      received('ig_aud', 'audio', { attachments: [{ type: 'audio' }] }),
      received('ig_share', 'share', { attachments: [{ type: 'share', url: 'https://www.instagram.com/p/Cx/' }] }),
      received('ig_reel', 'reel', {
        attachments: [{ type: 'reel', platform_media_id: '1788000000000001', url: 'https://cdn.example/reel.mp4' }],
      }),
      received('ig_mention', 'story_mention', { attachments: [{ type: 'story_mention' }] }),
      received('ig_like', 'like', { attachments: [{ type: 'like' }] }),
    ],
  },
  {
    name: 'story reply → story_reply.received with the story',
    body: instagram.storyReply,
    expected: [
      {
        type: 'messaging.story_reply.received',
        rawId: 'ig_story_reply',
        data: {
          ...thread,
          message: { text: 'Where can I buy this?' },
          story: { id: '17900000000000001', url: 'https://lookaside.fbsbx.com/story/1' },
        },
      },
    ],
  },
  {
    name: 'reply to a message keeps the reference',
    body: instagram.reply,
    expected: [received('ig_reply', 'text', { reply_to: ids.ref('ig_out_1') })],
  },
  {
    name: 'read names the message',
    body: instagram.read,
    expected: [{ type: 'messaging.message.read', rawId: 'ig_out_1', data: { ...thread, messages: [ids.ref('ig_out_1')] } }],
  },
  {
    name: 'reaction and unreaction',
    body: instagram.reactions,
    expected: [
      { type: 'messaging.reaction.added', data: { reaction: { emoji: '\u2764', kind: 'emoji', target: ids.ref('ig_out_1') } } },
      { type: 'messaging.reaction.removed', data: { reaction: { kind: 'emoji', target: ids.ref('ig_out_1') } } },
    ],
  },
  {
    name: 'postback',
    body: instagram.postback,
    expected: [{ type: 'messaging.postback', data: { postback: { payload: 'HUMAN', title: 'Talk to a human', source: 'button' } } }],
  },
  {
    name: 'quick reply → postback only',
    body: instagram.quickReply,
    expected: [{ type: 'messaging.postback', data: { postback: { payload: 'SIZE_M', title: 'Size M', source: 'quick_reply' } } }],
  },
  {
    name: 'echo → sent',
    body: instagram.echo,
    expected: [
      {
        type: 'messaging.message.sent',
        rawId: 'ig_echo',
        data: { ...thread, message: { direction: 'outbound', text: 'We have it in M and L' } },
      },
    ],
  },
  {
    name: 'unsend → message.deleted (extension)',
    body: instagram.unsend,
    expected: [{ type: 'messaging.message.deleted', data: { ...thread, message: ids.ref('ig_text_gone') } }],
  },
  {
    name: 'comment on a post',
    body: instagram.comment,
    expected: [
      {
        type: 'messaging.comment.created',
        rawId: '17860000000000001',
        timestamp: '2024-03-31T10:16:10.000Z',
        rawPath: 'entry[0].changes[0]',
        data: {
          contact_id: ids.contact(IG_USER),
          contact: { platform_user_id: IG_USER, username: 'ana.lima' },
          comment: { id: '17860000000000001', text: 'Price?', post_id: '17890000000000001', media_type: 'FEED' },
        },
      },
    ],
  },
  {
    name: 'reply to a comment names its parent',
    body: instagram.commentReply,
    expected: [
      {
        type: 'messaging.comment.created',
        data: { comment: { id: '17860000000000002', parent_id: '17860000000000001', post_id: '17890000000000001' } },
      },
    ],
  },
  {
    name: 'a comment the account itself wrote → unsupported, kept (never a comment.created with the account as contact)',
    body: instagram.ownComment,
    expected: [],
    rejected: [
      {
        reason: 'unsupported',
        path: 'entry[0].changes[0]',
        detail: `changes.comments written by the account itself (from.id ${IG_ACCOUNT} is the entry's account): not a contact's comment, so no messaging.comment.created`,
      },
    ],
  },
  {
    name: 'mentions → unsupported',
    body: instagram.mention,
    expected: [],
    rejected: [{ reason: 'unsupported', path: 'entry[0].changes[0]', detail: /changes\.mentions/ }],
  },
];

describe('instagram normalize', () => {
  it.each(cases)('$name', (c) => check('instagram', c).then(() => undefined));

  describe('routing by the Block registry', () => {
    const registry = new StaticBlockRegistry([
      { block_id: BLK, workspace_id: WS, platform: 'instagram', account_id: IG_ACCOUNT, status: 'connected' },
    ]);
    const router = registryRouter(registry, async () => undefined);

    it('falls back to the recipient id when entry.id is not ours', async () => {
      const { envelopes, rejections } = await run('instagram', instagram.routedByRecipient, {}, router);
      expect(rejections).toEqual([]);
      expect(envelopes).toMatchObject([{ type: 'messaging.message.received', workspace_id: WS, block_id: BLK }]);
    });

    it('never routes by the sender of a non-echo: our account DMing an account we do not serve is unroutable', async () => {
      const { envelopes, rejections } = await run('instagram', instagram.dmToOtherAccount, {}, router);
      expect(envelopes).toEqual([]);
      expect(rejections).toMatchObject([{ reason: 'unroutable', path: 'entry[0].messaging[0]', accounts: ['17841488888888888'] }]);
    });

    it('routes an echo by its sender (our account) when entry.id is not ours', async () => {
      const { envelopes, rejections } = await run('instagram', instagram.echoRoutedBySender, {}, router);
      expect(rejections).toEqual([]);
      expect(envelopes).toMatchObject([
        { type: 'messaging.message.sent', workspace_id: WS, block_id: BLK, data: { contact: { platform_user_id: IG_USER } } },
      ]);
    });

    it('rejects an unknown account as unroutable, keeping the item', async () => {
      const { envelopes, rejections } = await run('instagram', instagram.unknownAccount, {}, router);
      expect(envelopes).toEqual([]);
      expect(rejections).toMatchObject([{ reason: 'unroutable', path: 'entry[0].messaging[0]', raw: { message: { mid: 'ig_lost' } } }]);
    });
  });
});
