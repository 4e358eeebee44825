/**
 * WhatsApp message content (inbound messages, business-app echoes, edits) as
 * a unified Message. Media arrive as ids to fetch with the Block's token;
 * newer payloads also carry a url.
 */
import type { Attachment, Message } from '../../envelope/parts';
import { arr, compact, merge, count, isObj, num, optId, optText, type Json } from '../../platform-kit/fields';
import { unsupported } from '../../platform-kit/problems';
import { messageRef } from '../../platform-kit/thread';
import type { MapContext } from '../../platform-kit/types';

const MEDIA: Record<string, { attachment: Attachment['type']; message: Message['type'] }> = {
  image: { attachment: 'image', message: 'image' },
  video: { attachment: 'video', message: 'video' },
  audio: { attachment: 'audio', message: 'audio' },
  // Older API versions (and the On-Premises API) sent voice notes as their own type.
  voice: { attachment: 'audio', message: 'audio' },
  document: { attachment: 'file', message: 'file' },
  sticker: { attachment: 'sticker', message: 'sticker' },
};

/** The content kinds a WhatsApp message can have; the rest are handled by the caller or unsupported. */
export const CONTENT_TYPES = new Set(['text', 'location', 'contacts', ...Object.keys(MEDIA)]);

export function waContent(type: string, msg: Json): { type: Message['type']; text?: string; attachments: Attachment[] } {
  if (type === 'text') return { type: 'text', text: optText(msg, 'text.body') ?? '', attachments: [] };
  const media = MEDIA[type];
  if (media) {
    const m = isObj(msg[type]) ? (msg[type] as Json) : {};
    const caption = optText(m, 'caption');
    return {
      type: media.message,
      text: caption,
      attachments: [
        compact({
          type: media.attachment,
          platform_media_id: optId(m, 'id'),
          url: optText(m, 'url'),
          mime_type: optText(m, 'mime_type'),
          name: optText(m, 'filename'),
          caption,
        }),
      ],
    };
  }
  if (type === 'location') {
    const l = isObj(msg.location) ? msg.location : {};
    const latitude = num(l.latitude);
    const longitude = num(l.longitude);
    return {
      type: 'location',
      attachments: [
        compact({
          type: 'location' as const,
          url: optText(l, 'url'),
          location:
            latitude !== undefined && longitude !== undefined
              ? compact({ latitude, longitude, name: optText(l, 'name'), address: optText(l, 'address') })
              : undefined,
        }),
      ],
    };
  }
  if (type === 'contacts') {
    return {
      type: 'contacts',
      attachments: arr(msg.contacts).map((c) =>
        compact({
          type: 'contact' as const,
          name: optText(c, 'name.formatted_name'),
          value: optText(arr((c as Json)?.phones)[0], 'phone'),
        }),
      ),
    };
  }
  throw unsupported(`messages.${type}`);
}

export function waMessage(ctx: MapContext, id: string, type: string, msg: Json, direction: Message['direction']): Message {
  const content = waContent(type, msg);
  const replyTo = optId(msg, 'context.id');
  return compact({
    id: ctx.messageId(id),
    platform_message_id: id,
    direction,
    type: content.type,
    text: content.text,
    attachments: content.attachments.map((a) => compact(merge(a, { size: count((a as Json).size) }))),
    reply_to: replyTo ? messageRef(ctx, replyTo) : undefined,
  });
}
