/**
 * The Telegram Bot API adapter. A webhook body is one Update: one event (a
 * `message_reaction` may still yield several envelopes, one per emoji added
 * and one per emoji removed). Updates do not name the bot, so only the edge's
 * Block attribute (resolved from the secret token) routes them. UPDATES below
 * maps each update kind (the key besides update_id) to its mapper:
 *
 *   message, business_message → received; edited_message, edited_business_message → edited (ext)
 *     business_message sent by the business side (owner or sender_business_bot) → sent;
 *     edited_business_message sent by the business side → unsupported
 *     new_chat_members / left_chat_member service messages → member.joined / member.left (ext)
 *   message_reaction → reaction.added / reaction.removed
 *   callback_query → postback
 *   my_chat_member: private chat member↔kicked → follow / unfollow; groups → bot.joined / bot.left (ext)
 *   chat_member → member.joined / member.left (ext); deleted_business_messages → message.deleted (ext)
 *   channel posts, inline queries, payments, polls, boosts, other service messages → unsupported
 */
import { arr, compact, merge, isObj, optId, optText, reqId, str, type Json } from '../../platform-kit/fields';
import { ItemProblem, missing, unsupported } from '../../platform-kit/problems';
import { directThread, inThread, messageRef } from '../../platform-kit/thread';
import { eventTime } from '../../platform-kit/time';
import type { Draft, MapContext, NormalizerAdapter, SplitResult } from '../../platform-kit/types';
import {
  tgChatAsContact,
  tgContentKey,
  tgConversation,
  tgMessage,
  tgMessageId,
  tgThread,
  tgUser,
  type TgContentKey,
} from './normalize-message';

const IN = new Set(['member', 'administrator', 'creator', 'restricted']);
const OUT = new Set(['left', 'kicked']);

function isIn(member: unknown): boolean | undefined {
  const status = optText(member, 'status');
  if (status === 'restricted') return (member as Json).is_member !== false;
  return status && IN.has(status) ? true : status && OUT.has(status) ? false : undefined;
}

function reactionKey(r: unknown): string {
  const type = optText(r, 'type');
  if (type === 'emoji') return `emoji:${optText(r, 'emoji') ?? ''}`;
  if (type === 'custom_emoji') return `custom_emoji:${optId(r, 'custom_emoji_id') ?? ''}`;
  if (type === 'paid') return 'paid';
  return `other:${JSON.stringify(r)}`;
}

function mapMessageUpdate(msg: Json, key: string, ctx: MapContext, rawId: string): Draft[] {
  const base = key;
  const edited = key.startsWith('edited_');
  const timestamp = eventTime(
    msg,
    edited ? 'edit_date' : 'date',
    base,
    's',
    edited ? [eventTimeOrUndefined(msg), ctx.receivedAt] : [ctx.receivedAt],
  );
  const detail: Record<string, unknown> = {};
  if (key.includes('business')) detail.business_connection_id = msg.business_connection_id;
  if (msg.message_thread_id !== undefined) detail.message_thread_id = msg.message_thread_id;
  if (Array.isArray(msg.entities)) detail.entities = msg.entities;

  if (!edited && (Array.isArray(msg.new_chat_members) || isObj(msg.left_chat_member)))
    return mapMembershipMessage(msg, key, ctx, rawId, timestamp, detail);
  const content = tgContentKey(msg);
  if (!content) {
    const service = Object.keys(msg).find(
      (k) => !['message_id', 'from', 'sender_chat', 'chat', 'date', 'message_thread_id', 'is_topic_message'].includes(k),
    );
    throw unsupported(`${key}.${service ?? '(empty)'}`);
  }
  if (key.includes('business') && sentByBusiness(msg)) return mapSentByBusiness(msg, key, content, ctx, rawId, timestamp, detail);
  const thread = tgThread(ctx, msg, base);
  const message = tgMessage(ctx, msg, base, content, 'inbound');
  return [
    {
      type: edited ? 'messaging.message.edited' : 'messaging.message.received',
      timestamp,
      rawId,
      kind: `${key}.${content}`,
      detail,
      data: merge(thread, { message }),
    },
  ];
}

/** A service message about membership (new_chat_members / left_chat_member). */
function mapMembershipMessage(
  msg: Json,
  key: string,
  ctx: MapContext,
  rawId: string,
  timestamp: string,
  detail: Record<string, unknown>,
): Draft[] {
  const base = key;
  const conversation = tgConversation(msg.chat, `${base}.chat`);
  const joined = Array.isArray(msg.new_chat_members);
  const people = joined
    ? arr(msg.new_chat_members).map((u, i) => tgUser(u, `${base}.new_chat_members[${i}]`))
    : [tgUser(msg.left_chat_member, `${base}.left_chat_member`)];
  return [
    {
      type: joined ? 'messaging.member.joined' : 'messaging.member.left',
      timestamp,
      rawId,
      kind: `${key}.${joined ? 'new_chat_members' : 'left_chat_member'}`,
      detail,
      data: { conversation_id: ctx.conversationId(conversation.platform_conversation_id), conversation, members: people },
    },
  ];
}

/** A business message the owner (or a bot on their behalf) wrote: the customer, the private chat, is the contact. */
function mapSentByBusiness(
  msg: Json,
  key: string,
  content: TgContentKey,
  ctx: MapContext,
  rawId: string,
  timestamp: string,
  detail: Record<string, unknown>,
): Draft[] {
  const base = key;
  const from = optId(msg, 'from.id');
  const bot = optId(msg, 'sender_business_bot.id');
  if (key.startsWith('edited_')) {
    throw new ItemProblem(
      'unsupported',
      `${key}.${content} sent by the business (from.id ${from ?? '?'}${bot ? `, sender_business_bot ${bot}` : ''}, chat.id ${optId(msg, 'chat.id') ?? '?'}): messaging.message.edited is a contact's edit (counted as inbound activity), and there is no type for an edit of our own message`,
    );
  }
  if (from !== undefined) detail.sender_user_id = from;
  if (bot !== undefined) detail.sender_business_bot_id = bot;
  const conversation = tgConversation(msg.chat, `${base}.chat`);
  // The other party of a private chat, from the chat itself: its id is the user's, and it has the user's name fields.
  const thread = inThread(ctx, tgUser(msg.chat, `${base}.chat`), conversation);
  const message = tgMessage(ctx, msg, base, content, 'outbound');
  return [{ type: 'messaging.message.sent', timestamp, rawId, kind: `${key}.${content}`, detail, data: merge(thread, { message }) }];
}

/**
 * A business message the business side sent: one a bot sent on the owner's
 * behalf (`sender_business_bot`), or one in the private chat — whose id is the
 * customer's user id — from someone other than that customer (the owner).
 */
function sentByBusiness(msg: Json): boolean {
  if (isObj(msg.sender_business_bot)) return true;
  if (optText(msg, 'chat.type') !== 'private') return false;
  const from = optId(msg, 'from.id');
  return from !== undefined && from !== optId(msg, 'chat.id');
}

function eventTimeOrUndefined(msg: Json): string | undefined {
  try {
    return eventTime(msg, 'date', '', 's');
  } catch {
    return undefined;
  }
}

function mapReaction(r: Json, base: string, ctx: MapContext, rawId: string): Draft[] {
  const conversation = tgConversation(r.chat, `${base}.chat`);
  const target = tgMessageId(conversation.platform_conversation_id, reqId(r, 'message_id', base));
  const contact = isObj(r.user)
    ? tgUser(r.user, `${base}.user`)
    : isObj(r.actor_chat)
      ? tgChatAsContact(r.actor_chat, `${base}.actor_chat`)
      : undefined;
  if (!contact) throw missing(base, 'user');
  const timestamp = eventTime(r, 'date', base, 's', [ctx.receivedAt]);
  const thread = inThread(ctx, contact, conversation);
  const oldKeys = new Set(arr(r.old_reaction).map(reactionKey));
  const newKeys = new Set(arr(r.new_reaction).map(reactionKey));
  const draft = (action: 'added' | 'removed', reaction: unknown): Draft => {
    const type = optText(reaction, 'type');
    const kind = type === 'emoji' || type === 'custom_emoji' || type === 'paid' ? type : 'other';
    return {
      type: action === 'added' ? 'messaging.reaction.added' : 'messaging.reaction.removed',
      timestamp,
      rawId,
      kind: 'message_reaction',
      discriminator: [action, reactionKey(reaction)],
      detail: compact({ custom_emoji_id: optId(reaction, 'custom_emoji_id') }),
      data: merge(thread, {
        reaction: compact({ emoji: kind === 'emoji' ? optText(reaction, 'emoji') : undefined, kind, target: messageRef(ctx, target) }),
      }),
    };
  };
  const drafts = [
    ...arr(r.new_reaction)
      .filter((x) => !oldKeys.has(reactionKey(x)))
      .map((x) => draft('added', x)),
    ...arr(r.old_reaction)
      .filter((x) => !newKeys.has(reactionKey(x)))
      .map((x) => draft('removed', x)),
  ];
  if (drafts.length === 0) throw unsupported('message_reaction', 'old and new reactions are the same: nothing was added or removed');
  return drafts;
}

function mapCallback(q: Json, base: string, ctx: MapContext, rawId: string): Draft[] {
  const queryId = reqId(q, 'id', base);
  const contact = tgUser(q.from, `${base}.from`);
  const payload = optText(q, 'data') ?? optText(q, 'game_short_name');
  if (payload === undefined) throw missing(base, 'data');
  const msg = isObj(q.message) ? q.message : undefined;
  const chat = msg && isObj(msg.chat) ? msg.chat : undefined;
  const thread = chat ? inThread(ctx, contact, tgConversation(chat, `${base}.message.chat`)) : directThread(ctx, contact);
  const messageId = chat && msg ? str(msg.message_id) : undefined;
  return [
    {
      type: 'messaging.postback',
      // A callback query carries no time of its own (message.date is when the keyboard was sent).
      timestamp: ctx.receivedAt,
      rawId,
      kind: 'callback_query',
      detail: compact({
        callback_query_id: queryId,
        inline_message_id: optText(q, 'inline_message_id'),
        chat_instance: optText(q, 'chat_instance'),
      }),
      data: merge(thread, {
        postback: compact({
          payload,
          source: 'callback_query' as const,
          message: messageId ? messageRef(ctx, tgMessageId(thread.conversation.platform_conversation_id, messageId)) : undefined,
        }),
      }),
    },
  ];
}

function mapMembership(u: Json, key: string, ctx: MapContext, rawId: string): Draft[] {
  const base = key;
  const conversation = tgConversation(u.chat, `${base}.chat`);
  const timestamp = eventTime(u, 'date', base, 's', [ctx.receivedAt]);
  const before = isIn(u.old_chat_member);
  const after = isIn(u.new_chat_member);
  const transition = `${optText(u, 'old_chat_member.status') ?? '?'}->${optText(u, 'new_chat_member.status') ?? '?'}`;
  if (before === undefined || after === undefined || before === after) throw unsupported(`${key}`, transition);
  const kind = `${key}.${transition}`;
  const detail = { old_status: optText(u, 'old_chat_member.status'), new_status: optText(u, 'new_chat_member.status') };
  if (key === 'my_chat_member' && conversation.kind === 'direct') {
    // In a private chat the bot's own membership is the user's follow / block.
    const thread = inThread(ctx, tgUser(u.from, `${base}.from`), conversation);
    return [{ type: after ? 'messaging.follow' : 'messaging.unfollow', timestamp, rawId, kind, detail, data: thread }];
  }
  const base2 = { conversation_id: ctx.conversationId(conversation.platform_conversation_id), conversation };
  if (key === 'my_chat_member') {
    return [
      { type: after ? 'messaging.bot.joined' : 'messaging.bot.left', timestamp, rawId, kind, detail, data: merge(base2, { members: [] }) },
    ];
  }
  const member = tgUser(isObj(u.new_chat_member) ? u.new_chat_member.user : undefined, `${base}.new_chat_member.user`);
  return [
    {
      type: after ? 'messaging.member.joined' : 'messaging.member.left',
      timestamp,
      rawId,
      kind,
      detail,
      data: merge(base2, { members: [member] }),
    },
  ];
}

function mapDeletedBusiness(d: Json, base: string, ctx: MapContext, rawId: string): Draft[] {
  const conversation = tgConversation(d.chat, `${base}.chat`);
  const ids = arr(d.message_ids)
    .map(str)
    .filter((id): id is string => !!id);
  if (ids.length === 0) throw missing(base, 'message_ids');
  // The chat is private (a business chat): the other party is the contact.
  const thread = inThread(ctx, { platform_user_id: conversation.platform_conversation_id }, conversation);
  return ids.map((id) => ({
    type: 'messaging.message.deleted' as const,
    timestamp: ctx.receivedAt,
    rawId,
    kind: 'deleted_business_messages',
    discriminator: [id],
    detail: { business_connection_id: d.business_connection_id },
    data: merge(thread, { message: messageRef(ctx, tgMessageId(conversation.platform_conversation_id, id)) }),
  }));
}

/** One update kind's mapper: `value` is the update's object under `key`, which is also its path. */
type UpdateMapper = (value: Json, key: string, ctx: MapContext, rawId: string) => Draft[];

/** Update kind → mapper. Any other kind is unsupported. */
const UPDATES = new Map<string, UpdateMapper>([
  ['message', mapMessageUpdate],
  ['business_message', mapMessageUpdate],
  ['edited_message', mapMessageUpdate],
  ['edited_business_message', mapMessageUpdate],
  ['message_reaction', mapReaction],
  ['callback_query', mapCallback],
  ['my_chat_member', mapMembership],
  ['chat_member', mapMembership],
  ['deleted_business_messages', mapDeletedBusiness],
]);

/**
 * The update kinds the normalizer maps: what connect asks Telegram for in
 * setWebhook's `allowed_updates` (shared/platforms/telegram/connect.ts), so
 * a kind added to UPDATES is requested from the next connection on.
 */
export const MAPPED_UPDATE_KINDS: readonly string[] = [...UPDATES.keys()];

export function mapUpdate(update: Json, ctx: MapContext): Draft[] {
  const rawId = reqId(update, 'update_id', '');
  const key = Object.keys(update).find((k) => k !== 'update_id');
  if (!key) throw unsupported('(empty update)');
  const value = update[key];
  if (!isObj(value)) throw unsupported(key, 'its value is not an object');
  const map = UPDATES.get(key);
  if (!map) throw unsupported(key);
  return map(value, key, ctx, rawId);
}

export const normalizer: NormalizerAdapter = {
  platform: 'telegram',
  split(body): SplitResult | string {
    if (!isObj(body)) return 'the body is not a JSON object';
    if (body.update_id === undefined) return 'the body has no update_id (not a Telegram Update)';
    return { items: [{ path: '', raw: body, accounts: [] }], problems: [] };
  },
  map: (item, ctx) => mapUpdate(item.raw as Json, ctx),
};
