/**
 * Meta message content (Messenger and Instagram share the Send/Receive API
 * shape) as a unified Message: text, attachments by kind, reply reference.
 */
import type { Attachment, Message } from '../../envelope/parts';
import { arr, compact, isObj, num, optId, optText, reqId, type Json } from '../../platform-kit/fields';
import { messageRef } from '../../platform-kit/thread';
import type { MapContext } from '../../platform-kit/types';

/** Meta attachment `type` → our attachment type. Unknown kinds stay visible as `other`. */
const ATTACHMENT_KIND: Record<string, Attachment['type']> = {
  image: 'image',
  animated_image: 'image',
  video: 'video',
  audio: 'audio',
  file: 'file',
  location: 'location',
  fallback: 'fallback',
  template: 'template',
  share: 'share',
  ig_post: 'share',
  reel: 'reel',
  ig_reel: 'reel',
  story_mention: 'story_mention',
  like_heart: 'like',
  sticker: 'sticker',
};

/** What a message mainly is, from its first attachment. */
const MESSAGE_TYPE: Record<Attachment['type'], Message['type']> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  file: 'file',
  sticker: 'sticker',
  location: 'location',
  contact: 'contacts',
  share: 'share',
  reel: 'reel',
  story_mention: 'story_mention',
  like: 'like',
  dice: 'dice',
  template: 'template',
  fallback: 'share',
  other: 'other',
};

export function metaAttachment(raw: unknown): Attachment {
  const a = isObj(raw) ? raw : {};
  const payload = isObj(a.payload) ? a.payload : {};
  const kind = typeof a.type === 'string' ? a.type : '';
  // Messenger sends stickers (and the thumbs-up "like") as images carrying a sticker_id.
  const stickerId = optId(payload, 'sticker_id');
  const type = stickerId && kind === 'image' ? 'sticker' : (ATTACHMENT_KIND[kind] ?? 'other');
  const coords = isObj(payload.coordinates) ? payload.coordinates : undefined;
  const lat = num(coords?.lat);
  const long = num(coords?.long);
  return compact({
    type,
    url: optText(payload, 'url'),
    name: stickerId ?? optText(payload, 'title') ?? optText(a, 'title'),
    platform_media_id: optId(payload, 'reel_video_id') ?? optId(payload, 'id'),
    location:
      lat !== undefined && long !== undefined ? compact({ latitude: lat, longitude: long, name: optText(payload, 'title') }) : undefined,
  });
}

export function metaMessage(ctx: MapContext, msg: Json, base: string, direction: Message['direction']): Message {
  const mid = reqId(msg, 'mid', base);
  const text = optText(msg, 'text');
  const attachments = arr(msg.attachments).map(metaAttachment);
  const first = attachments[0];
  const replyMid = optId(msg, 'reply_to.mid');
  return compact({
    id: ctx.messageId(mid),
    platform_message_id: mid,
    direction,
    type: first ? MESSAGE_TYPE[first.type] : text !== undefined ? 'text' : 'unknown',
    text,
    attachments,
    reply_to: replyMid ? messageRef(ctx, replyMid) : undefined,
  });
}
