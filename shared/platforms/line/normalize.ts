/**
 * The LINE Messaging API adapter. A body is `{destination, events[]}`; the
 * edge already resolved the Block from `destination` (to verify the
 * signature) and says so in the message attributes; `destination` routes
 * otherwise.
 *
 * Events by `type` (EVENTS below maps each to its mapper):
 *
 *   message (text, image, video, audio, file, location, sticker) → received
 *   messageEdited                  → message.edited
 *   follow / unfollow              → follow / unfollow
 *   postback                       → postback
 *   join / leave                   → bot.joined / bot.left
 *   memberJoined / memberLeft      → member.joined / member.left
 *   beacon                         → beacon.detected
 *   unsend                         → message.deleted
 *   accountLink, videoPlayComplete, things, module, membership, ... → unsupported
 *
 * `webhookEventId` is the raw id; events without it (older payloads) use the
 * message id or a stand-in built from type, source and time.
 */
import type { Attachment, ChannelContact, ChannelConversation, Message } from '../../envelope/parts';
import { arr, compact, merge, count, isObj, num, optId, optText, reqId, stringMap, type Json } from '../../platform-kit/fields';
import { malformed, missing, unsupported } from '../../platform-kit/problems';
import { inThread, messageRef, type InThread } from '../../platform-kit/thread';
import { eventTime } from '../../platform-kit/time';
import type { Draft, MapContext, NormalizerAdapter, SplitResult } from '../../platform-kit/types';

const MEDIA: Record<string, Attachment['type'] & Message['type']> = { image: 'image', video: 'video', audio: 'audio', file: 'file' };

function conversationOf(source: Json, base: string): ChannelConversation {
  switch (source.type) {
    case 'user':
      return { platform_conversation_id: reqId(source, 'userId', base), kind: 'direct' };
    case 'group':
      return { platform_conversation_id: reqId(source, 'groupId', base), kind: 'group' };
    case 'room':
      return { platform_conversation_id: reqId(source, 'roomId', base), kind: 'room' };
    default:
      throw source.type === undefined ? missing(base, 'type') : malformed(base, 'type', 'user, group or room');
  }
}

/**
 * The contact and thread. In groups and rooms LINE omits `userId` for users
 * who have not consented to share it; the thread then stands for the sender
 * (as Telegram's anonymous admins do), flagged in platform_detail.
 */
function threadOf(ctx: MapContext, event: Json, base: string, detail: Record<string, unknown>): InThread {
  const sbase = `${base}.source`;
  if (!isObj(event.source)) throw missing(base, 'source');
  const conversation = conversationOf(event.source, sbase);
  const userId = optId(event.source, 'userId');
  if (!userId) detail.anonymous_sender = true;
  return inThread(ctx, { platform_user_id: userId ?? conversation.platform_conversation_id }, conversation);
}

function lineMessage(ctx: MapContext, msg: Json, base: string): Message {
  const id = reqId(msg, 'id', base);
  const type = optText(msg, 'type') ?? '(none)';
  const url =
    msg.contentProvider && optText(msg, 'contentProvider.type') === 'external'
      ? optText(msg, 'contentProvider.originalContentUrl')
      : undefined;
  let content: Pick<Message, 'type' | 'text' | 'attachments'>;
  if (type === 'text') {
    content = { type: 'text', text: optText(msg, 'text') ?? '', attachments: [] };
  } else if (MEDIA[type]) {
    content = {
      type: MEDIA[type],
      attachments: [
        compact({
          type: MEDIA[type],
          platform_media_id: id,
          url,
          name: optText(msg, 'fileName'),
          size: count(msg.fileSize),
          duration_ms: count(msg.duration),
        }),
      ],
    };
  } else if (type === 'location') {
    const latitude = num(msg.latitude);
    const longitude = num(msg.longitude);
    if (latitude === undefined) throw missing(base, 'latitude');
    if (longitude === undefined) throw missing(base, 'longitude');
    content = {
      type: 'location',
      attachments: [
        { type: 'location', location: compact({ latitude, longitude, name: optText(msg, 'title'), address: optText(msg, 'address') }) },
      ],
    };
  } else if (type === 'sticker') {
    content = {
      type: 'sticker',
      text: optText(msg, 'text'),
      attachments: [compact({ type: 'sticker' as const, name: optId(msg, 'stickerId'), value: optId(msg, 'packageId') })],
    };
  } else {
    throw unsupported(`message.${type}`);
  }
  return compact({ id: ctx.messageId(id), platform_message_id: id, direction: 'inbound' as const, ...content });
}

function members(raw: unknown): ChannelContact[] {
  return arr(raw)
    .map((m) => optId(m, 'userId'))
    .filter((id): id is string => !!id)
    .map((id) => ({ platform_user_id: id }));
}

/** The event's raw id. Module-level, like `common`: docs/performance.md#no-closures-per-item */
function eventIdOf(event: Json, type: string, fallback: string | undefined): string {
  return optId(event, 'webhookEventId') ?? fallback ?? `${type}:${String(event.timestamp ?? '')}:${JSON.stringify(event.source ?? null)}`;
}

function common(timestamp: string, kind: string, detail: Record<string, unknown>, discriminator: string[]) {
  return { timestamp, kind, detail, discriminator };
}

/** platform_detail of the draft, filled in as the mapper finds extras. */
type Detail = Record<string, unknown>;

/** One event type's mapper; `timestamp` and `detail` are the event's, worked out once. */
type EventMapper = (event: Json, type: string, base: string, ctx: MapContext, timestamp: string, detail: Detail) => Draft[];

/** Event `type` → mapper. Any other type is unsupported. */
const EVENTS = new Map<string, EventMapper>([
  ['message', mapMessage],
  ['messageEdited', mapMessage],
  ['follow', mapFollow],
  ['unfollow', mapFollow],
  ['postback', mapPostback],
  ['join', mapMembers],
  ['leave', mapMembers],
  ['memberJoined', mapMembers],
  ['memberLeft', mapMembers],
  ['beacon', mapBeacon],
  ['unsend', mapUnsend],
]);

export function mapLineEvent(event: Json, base: string, ctx: MapContext): Draft[] {
  const type = optText(event, 'type') ?? '(none)';
  const timestamp = eventTime(event, 'timestamp', base, 'ms', [ctx.receivedAt]);
  const detail: Detail = compact({
    mode: optText(event, 'mode'),
    is_redelivery:
      isObj(event.deliveryContext) && typeof event.deliveryContext.isRedelivery === 'boolean'
        ? event.deliveryContext.isRedelivery
        : undefined,
    reply_token: optText(event, 'replyToken'),
  });
  const map = EVENTS.get(type);
  if (!map) throw unsupported(type);
  return map(event, type, base, ctx, timestamp, detail);
}

/** `message` → received, `messageEdited` → edited. */
function mapMessage(event: Json, type: string, base: string, ctx: MapContext, timestamp: string, detail: Detail): Draft[] {
  if (!isObj(event.message)) throw missing(base, 'message');
  const message = lineMessage(ctx, event.message, `${base}.message`);
  const quoteToken = optText(event.message, 'quoteToken');
  if (quoteToken) detail.quote_token = quoteToken;
  const thread = threadOf(ctx, event, base, detail);
  const rawId = eventIdOf(event, type, message.platform_message_id);
  return [
    type === 'message'
      ? merge(common(timestamp, type, detail, [message.platform_message_id]), {
          type: 'messaging.message.received',
          rawId,
          data: merge(thread, { message }),
        })
      : merge(common(timestamp, type, detail, [message.platform_message_id]), {
          type: 'messaging.message.edited',
          rawId,
          data: merge(thread, { message }),
        }),
  ];
}

function mapFollow(event: Json, type: string, base: string, ctx: MapContext, timestamp: string, detail: Detail): Draft[] {
  const thread = threadOf(ctx, event, base, detail);
  if (isObj(event.follow) && typeof event.follow.isUnblocked === 'boolean') detail.is_unblocked = event.follow.isUnblocked;
  return [
    merge(common(timestamp, type, detail, []), {
      type: type === 'follow' ? 'messaging.follow' : 'messaging.unfollow',
      rawId: eventIdOf(event, type, undefined),
      data: thread,
    }),
  ];
}

function mapPostback(event: Json, type: string, base: string, ctx: MapContext, timestamp: string, detail: Detail): Draft[] {
  const payload = optText(event, 'postback.data');
  if (payload === undefined) throw missing(base, 'postback.data');
  const thread = threadOf(ctx, event, base, detail);
  return [
    merge(common(timestamp, type, detail, [payload]), {
      type: 'messaging.postback' as const,
      rawId: eventIdOf(event, type, undefined),
      data: merge(thread, {
        postback: compact({
          payload,
          source: 'button' as const,
          params: stringMap(isObj(event.postback) ? event.postback.params : undefined),
        }),
      }),
    }),
  ];
}

const MEMBERSHIP_TYPES = {
  join: 'messaging.bot.joined',
  leave: 'messaging.bot.left',
  memberJoined: 'messaging.member.joined',
  memberLeft: 'messaging.member.left',
} as const;

/** The bot (`join`, `leave`) or members (`memberJoined`, `memberLeft`) entering or leaving a group or room. */
function mapMembers(event: Json, type: string, base: string, ctx: MapContext, timestamp: string, detail: Detail): Draft[] {
  if (!isObj(event.source)) throw missing(base, 'source');
  const conversation = conversationOf(event.source, `${base}.source`);
  const data = {
    conversation_id: ctx.conversationId(conversation.platform_conversation_id),
    conversation,
    members: type === 'memberJoined' ? members(at2(event, 'joined')) : type === 'memberLeft' ? members(at2(event, 'left')) : [],
  };
  const eventType = MEMBERSHIP_TYPES[type as keyof typeof MEMBERSHIP_TYPES];
  return [
    merge(
      common(
        timestamp,
        type,
        detail,
        data.members.map((m) => m.platform_user_id),
      ),
      { type: eventType, rawId: eventIdOf(event, type, undefined), data },
    ),
  ];
}

function mapBeacon(event: Json, type: string, base: string, ctx: MapContext, timestamp: string, detail: Detail): Draft[] {
  const hwid = reqId(event, 'beacon.hwid', base);
  const thread = threadOf(ctx, event, base, detail);
  const beaconType = optText(event, 'beacon.type') ?? 'unknown';
  return [
    merge(common(timestamp, type, detail, [hwid, beaconType]), {
      type: 'messaging.beacon.detected' as const,
      rawId: eventIdOf(event, type, undefined),
      data: merge(thread, { beacon: compact({ hwid, type: beaconType, device_message: optText(event, 'beacon.dm') }) }),
    }),
  ];
}

function mapUnsend(event: Json, type: string, base: string, ctx: MapContext, timestamp: string, detail: Detail): Draft[] {
  const messageId = reqId(event, 'unsend.messageId', base);
  const thread = threadOf(ctx, event, base, detail);
  return [
    merge(common(timestamp, type, detail, [messageId]), {
      type: 'messaging.message.deleted',
      rawId: eventIdOf(event, type, messageId),
      data: merge(thread, { message: messageRef(ctx, messageId) }),
    }),
  ];
}

function at2(event: Json, key: string): unknown {
  return isObj(event[key]) ? (event[key] as Json).members : undefined;
}

export const normalizer: NormalizerAdapter = {
  platform: 'line',
  split(body): SplitResult | string {
    if (!isObj(body)) return 'the body is not a JSON object';
    if (!Array.isArray(body.events)) return 'the body has no events[] array (not a LINE webhook payload)';
    const destination = optId(body, 'destination');
    const result: SplitResult = { items: [], problems: [] };
    body.events.forEach((raw, i) => {
      const path = `events[${i}]`;
      if (!isObj(raw)) result.problems.push({ reason: 'invalid', path, detail: `${path} is not an object`, raw });
      else result.items.push({ path, raw, accounts: destination ? [destination] : [] });
    });
    return result;
  },
  map: (item, ctx) => mapLineEvent(item.raw as Json, item.path, ctx),
};
