/**
 * A Telegram Message object as a unified Message, plus who sent it and where.
 * Message ids are only unique per chat, so ours are `chat_id:message_id`.
 */
import type { Attachment, ChannelContact, ChannelConversation, Message } from '../../envelope/parts';
import { arr, compact, merge, count, isObj, num, optId, optText, reqId, str, type Json } from '../../platform-kit/fields';
import { malformed, missing } from '../../platform-kit/problems';
import { inThread, type InThread } from '../../platform-kit/thread';
import type { MapContext } from '../../platform-kit/types';

const CHAT_KIND: Record<string, ChannelConversation['kind']> = {
  private: 'direct',
  group: 'group',
  supergroup: 'group',
  channel: 'channel',
};

export function tgUser(raw: unknown, base: string): ChannelContact {
  const id = reqId(raw, 'id', base);
  const first = optText(raw, 'first_name');
  const last = optText(raw, 'last_name');
  return compact({
    platform_user_id: id,
    display_name: [first, last].filter(Boolean).join(' ') || undefined,
    first_name: first,
    last_name: last,
    username: optText(raw, 'username'),
    language_code: optText(raw, 'language_code'),
    is_bot: typeof (raw as Json).is_bot === 'boolean' ? ((raw as Json).is_bot as boolean) : undefined,
  });
}

/** A chat acting as the sender (anonymous group admins, channels, reactions by a chat). */
export function tgChatAsContact(raw: unknown, base: string): ChannelContact {
  return compact({ platform_user_id: reqId(raw, 'id', base), display_name: optText(raw, 'title'), username: optText(raw, 'username') });
}

export function tgConversation(chat: unknown, base: string): ChannelConversation {
  const id = reqId(chat, 'id', base);
  const type = optText(chat, 'type');
  if (type === undefined) throw missing(base, 'type');
  const kind = CHAT_KIND[type];
  if (!kind) throw malformed(base, 'type', 'private, group, supergroup or channel');
  const title =
    optText(chat, 'title') ?? ([optText(chat, 'first_name'), optText(chat, 'last_name')].filter(Boolean).join(' ') || undefined);
  return compact({ platform_conversation_id: id, kind, title });
}

export function tgMessageId(chatId: string, messageId: string): string {
  return `${chatId}:${messageId}`;
}

/** Sender and chat of a message: `sender_chat` stands in for anonymous admins and channel posts. */
export function tgThread(ctx: MapContext, msg: Json, base: string): InThread {
  const conversation = tgConversation(msg.chat, `${base}.chat`);
  const contact = isObj(msg.sender_chat)
    ? tgChatAsContact(msg.sender_chat, `${base}.sender_chat`)
    : isObj(msg.from)
      ? tgUser(msg.from, `${base}.from`)
      : undefined;
  if (!contact) throw missing(base, 'from');
  return inThread(ctx, contact, conversation);
}

/** Content keys in the order that decides the type (an animation also carries `document`). */
const CONTENT = [
  'text',
  'photo',
  'animation',
  'video',
  'video_note',
  'voice',
  'audio',
  'document',
  'sticker',
  'venue',
  'location',
  'contact',
  'dice',
  'poll',
] as const;
export type TgContentKey = (typeof CONTENT)[number];

export function tgContentKey(msg: Json): TgContentKey | undefined {
  return CONTENT.find((k) => msg[k] !== undefined);
}

function file(type: Attachment['type'], raw: unknown): Attachment {
  return compact({
    type,
    platform_media_id: optId(raw, 'file_id'),
    mime_type: optText(raw, 'mime_type'),
    name: optText(raw, 'file_name'),
    size: count((raw as Json | undefined)?.file_size),
    duration_ms: count(num((raw as Json | undefined)?.duration) !== undefined ? (num((raw as Json).duration) as number) * 1000 : undefined),
  });
}

function content(key: TgContentKey, msg: Json): Pick<Message, 'type' | 'attachments'> {
  const v = msg[key];
  switch (key) {
    case 'text':
      return { type: 'text', attachments: [] };
    case 'photo': {
      const sizes = arr(v);
      return { type: 'image', attachments: [file('image', sizes[sizes.length - 1])] }; // the last size is the largest
    }
    case 'animation':
    case 'video':
    case 'video_note':
      return { type: 'video', attachments: [file('video', v)] };
    case 'voice':
    case 'audio':
      return { type: 'audio', attachments: [file('audio', v)] };
    case 'document':
      return { type: 'file', attachments: [file('file', v)] };
    case 'sticker':
      return {
        type: 'sticker',
        attachments: [compact(merge(file('sticker', v), { name: optText(v, 'set_name'), value: optText(v, 'emoji') }))],
      };
    case 'venue':
    case 'location': {
      const loc = key === 'venue' ? (v as Json | undefined)?.location : v;
      const latitude = num((loc as Json | undefined)?.latitude);
      const longitude = num((loc as Json | undefined)?.longitude);
      return {
        type: 'location',
        attachments: [
          compact({
            type: 'location' as const,
            location:
              latitude !== undefined && longitude !== undefined
                ? compact({ latitude, longitude, name: optText(v, 'title'), address: optText(v, 'address') })
                : undefined,
          }),
        ],
      };
    }
    case 'contact':
      return {
        type: 'contacts',
        attachments: [
          compact({
            type: 'contact' as const,
            name: [optText(v, 'first_name'), optText(v, 'last_name')].filter(Boolean).join(' ') || undefined,
            value: optText(v, 'phone_number'),
          }),
        ],
      };
    case 'dice':
      return {
        type: 'dice',
        attachments: [compact({ type: 'dice' as const, name: optText(v, 'emoji'), value: num((v as Json | undefined)?.value) })],
      };
    case 'poll':
      return { type: 'poll', attachments: [] };
  }
}

export function tgMessage(ctx: MapContext, msg: Json, base: string, key: TgContentKey, direction: Message['direction']): Message {
  const chatId = reqId(msg, 'chat.id', base);
  const id = tgMessageId(chatId, reqId(msg, 'message_id', base));
  const reply = isObj(msg.reply_to_message) ? msg.reply_to_message : undefined;
  const replyId = reply ? str(reply.message_id) : undefined;
  const text = optText(msg, 'text') ?? optText(msg, 'caption') ?? (key === 'poll' ? optText(msg, 'poll.question') : undefined);
  return compact({
    id: ctx.messageId(id),
    platform_message_id: id,
    direction,
    ...content(key, msg),
    text,
    reply_to: replyId
      ? {
          id: ctx.messageId(tgMessageId(optId(reply, 'chat.id') ?? chatId, replyId)),
          platform_message_id: tgMessageId(optId(reply, 'chat.id') ?? chatId, replyId),
        }
      : undefined,
  });
}
