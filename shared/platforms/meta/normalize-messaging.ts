/**
 * One Meta `messaging[]` / `standby[]` item (Messenger and Instagram) → drafts.
 * The item's kind is the key it carries besides sender/recipient/timestamp;
 * KINDS below maps each kind to its mapper, in the order they are tried:
 *
 *   message            → received; is_echo → sent; quick_reply → postback only;
 *                        reply_to.story → story_reply.received; is_deleted → deleted (ext)
 *   message_edit       → message.edited (ext)
 *   delivery           → delivered (all mids in one envelope, + watermark)
 *   read               → read (Messenger watermark, Instagram mid)
 *   reaction           → reaction.added / reaction.removed (action=unreact)
 *   postback           → postback
 *   referral           → referral.received (ext)
 *   optin              → optin.received (ext)
 *   anything else      → unsupported (handover, policy enforcement, game plays...)
 */
import { arr, compact, merge, isObj, optId, optText, reqId, str, type Json } from '../../platform-kit/fields';
import { malformed, missing, unsupported } from '../../platform-kit/problems';
import { directThread, messageRef, type InThread } from '../../platform-kit/thread';
import { dateToIso, epochToIso, eventTime } from '../../platform-kit/time';
import type { Draft, MapContext } from '../../platform-kit/types';
import { carriedIds, contactKey } from '../../contacts/identity';
import { metaMessage } from './normalize-attachments';

const ENVELOPE_KEYS = new Set(['sender', 'recipient', 'timestamp']);

export interface MessagingContext {
  entry: Json;
  /** Item came from `standby[]`: another app owns the thread; we still see the event. */
  standby: boolean;
}

export function messagingKind(ev: Json): string {
  return Object.keys(ev).find((k) => !ENVELOPE_KEYS.has(k)) ?? '(none)';
}

/** A checkbox plugin's user_ref a reply names (`prior_message`, source checkbox_plugin): the same person as the sender. */
function priorUserRef(ev: Json): string | undefined {
  return optText(ev, 'prior_message.source') === 'checkbox_plugin' ? optId(ev, 'prior_message.identifier') : undefined;
}

/**
 * The 1:1 thread of the item's sender or recipient, its contact id by the
 * identity rules (shared/contacts/identity.ts): the page- or Instagram-scoped
 * id (`<field>.id`), else a Messenger user_ref, the chat plugin's guest's
 * (`<field>.user_ref`) or the checkbox plugin's (`optin.user_ref`, no sender).
 * A user_ref named beside the id (`prior_message`) goes to platform_detail, so
 * the contacts subscriber ties both ids to one contact.
 * Module-level: docs/performance.md#no-closures-per-item
 */
function userThread(ctx: MapContext, ev: Json, base: string, field: 'sender' | 'recipient', detail: Detail): InThread {
  const idPath = field === 'sender' ? 'sender.id' : 'recipient.id';
  const scoped = optId(ev, idPath);
  const userRef =
    optId(ev, field === 'sender' ? 'sender.user_ref' : 'recipient.user_ref') ?? optId(ev, 'optin.user_ref') ?? priorUserRef(ev);
  const ids = { psid: scoped, igsid: scoped, user_ref: userRef };
  // Neither: the id's own problem (missing, or not a string).
  const key = contactKey(ctx.platform, ids) ?? reqId(ev, idPath, base);
  if (userRef !== undefined) Object.assign(detail, carriedIds(ctx.platform, ids));
  return directThread(ctx, { platform_user_id: key });
}

/** platform_detail of the draft, filled in as the mapper finds extras. */
type Detail = Record<string, unknown>;

/**
 * One kind's mapper. `value` is the item's object under that kind's key, `ev`
 * the whole item; `timestamp` and `detail` are the item's, worked out once.
 */
type KindMapper = (value: Json, ev: Json, base: string, ctx: MapContext, timestamp: string, detail: Detail) => Draft[];

/** Kind → mapper, in the order they are tried: the first key whose value is an object decides. */
const KINDS: ReadonlyArray<readonly [kind: string, map: KindMapper]> = [
  ['message', mapMessage],
  ['message_edit', mapMessageEdit],
  ['delivery', mapDelivery],
  ['read', mapRead],
  ['reaction', mapReaction],
  ['postback', mapPostback],
  ['referral', mapReferral],
  ['optin', mapOptin],
];

/** The messaging item kinds the mapper maps, in KINDS order (what connect subscribes to: shared/platforms/meta/connect.ts). */
export const MESSAGING_KINDS: readonly string[] = KINDS.map(([kind]) => kind);

export function mapMessaging(ev: Json, base: string, ctx: MapContext, mc: MessagingContext): Draft[] {
  // The entry's time only when the item has none: docs/performance.md#lazy-fallback-times
  const timestamp = eventTime(ev, 'timestamp', base, 'auto', [() => epochToIso(mc.entry.time, 'auto'), ctx.receivedAt]);
  const detail: Detail = mc.standby ? { standby: true } : {};
  // Neither the item nor its entry has a time: the receive time, said as every receive-time fallback is.
  if (
    epochToIso(ev.timestamp, 'auto') === undefined &&
    dateToIso(ev.timestamp) === undefined &&
    epochToIso(mc.entry.time, 'auto') === undefined
  )
    detail.timestamp_source = 'received_at';
  for (const [kind, map] of KINDS) {
    const value = ev[kind];
    if (isObj(value)) return map(value, ev, base, ctx, timestamp, detail);
  }
  throw unsupported(`messaging.${messagingKind(ev)}`);
}

/** A message: an echo of ours, a deletion, a quick-reply tap, a story reply, or a received message. */
function mapMessage(msg: Json, ev: Json, base: string, ctx: MapContext, timestamp: string, detail: Detail): Draft[] {
  const mbase = `${base}.message`;
  if (msg.is_echo === true) {
    const m = metaMessage(ctx, msg, mbase, 'outbound');
    if (msg.app_id !== undefined) detail.app_id = msg.app_id;
    return [
      {
        type: 'messaging.message.sent',
        timestamp,
        rawId: m.platform_message_id,
        kind: 'messaging.message.echo',
        detail,
        data: merge(userThread(ctx, ev, base, 'recipient', detail), { message: m }),
      },
    ];
  }
  const thread = userThread(ctx, ev, base, 'sender', detail);
  if (msg.is_deleted === true) {
    const mid = reqId(msg, 'mid', mbase);
    return [
      {
        type: 'messaging.message.deleted',
        timestamp,
        rawId: mid,
        kind: 'messaging.message.deleted',
        detail,
        data: merge(thread, { message: messageRef(ctx, mid) }),
      },
    ];
  }
  const m = metaMessage(ctx, msg, mbase, 'inbound');
  const rawId = m.platform_message_id;
  if (isObj(msg.referral)) detail.referral = msg.referral;
  const quickReply = optText(msg, 'quick_reply.payload');
  if (quickReply !== undefined) {
    // A quick-reply tap is a button press: one postback, like a WhatsApp button reply (never also a received message).
    return [
      {
        type: 'messaging.postback',
        timestamp,
        rawId,
        kind: 'messaging.message.quick_reply',
        detail,
        data: merge(thread, {
          postback: compact({ payload: quickReply, title: m.text, source: 'quick_reply' as const, message: messageRef(ctx, rawId) }),
        }),
      },
    ];
  }
  const story = isObj(msg.reply_to) && isObj(msg.reply_to.story) ? msg.reply_to.story : undefined;
  if (story) {
    const storyId = reqId(story, 'id', `${mbase}.reply_to.story`);
    return [
      {
        type: 'messaging.story_reply.received',
        timestamp,
        rawId,
        kind: 'messaging.message.story_reply',
        detail,
        data: merge(thread, {
          message: compact(merge(m, { reply_to: undefined })),
          story: compact({ id: storyId, url: optText(story, 'url') }),
        }),
      },
    ];
  }
  return [{ type: 'messaging.message.received', timestamp, rawId, kind: 'messaging.message', detail, data: merge(thread, { message: m }) }];
}

function mapMessageEdit(edit: Json, ev: Json, base: string, ctx: MapContext, timestamp: string, detail: Detail): Draft[] {
  const mid = reqId(edit, 'mid', `${base}.message_edit`);
  const text = optText(edit, 'text');
  if (edit.num_edit !== undefined) detail.num_edit = edit.num_edit;
  return [
    {
      type: 'messaging.message.edited',
      timestamp,
      rawId: mid,
      kind: 'messaging.message_edit',
      detail,
      discriminator: [String(edit.num_edit ?? ''), String(ev.timestamp ?? '')],
      data: merge(userThread(ctx, ev, base, 'sender', detail), {
        message: compact({
          id: ctx.messageId(mid),
          platform_message_id: mid,
          direction: 'inbound' as const,
          type: 'text' as const,
          text,
          attachments: [],
        }),
      }),
    },
  ];
}

function mapDelivery(_value: Json, ev: Json, base: string, ctx: MapContext, timestamp: string, detail: Detail): Draft[] {
  return mapReceipt('delivery', ev, base, ctx, timestamp, detail);
}

function mapRead(_value: Json, ev: Json, base: string, ctx: MapContext, timestamp: string, detail: Detail): Draft[] {
  return mapReceipt('read', ev, base, ctx, timestamp, detail);
}

function mapReceipt(kind: 'delivery' | 'read', ev: Json, base: string, ctx: MapContext, timestamp: string, detail: Detail): Draft[] {
  // `delivery` when present even if not an object (a read then finds no mids): kept from the if chain this table replaced.
  const receipt = (ev.delivery ?? ev.read) as Json;
  const mids = [...arr(receipt.mids).map(str), optId(receipt, 'mid')].filter((m): m is string => !!m);
  const watermark = epochToIso(receipt.watermark, 'auto');
  if (mids.length === 0 && !watermark) throw missing(`${base}.${kind}`, 'mids');
  const thread = userThread(ctx, ev, base, 'sender', detail);
  return [
    {
      type: kind === 'delivery' ? 'messaging.message.delivered' : 'messaging.message.read',
      timestamp,
      kind: `messaging.${kind}`,
      detail,
      // A mid names one message of one thread; a watermark alone is only a time, which
      // every user of the page can share: the reader is part of its identity.
      rawId: mids[0] ?? `watermark:${thread.contact.platform_user_id}:${String(receipt.watermark)}`,
      discriminator: [String(receipt.watermark ?? ''), ...mids.slice(1)],
      data: compact(merge(thread, { messages: [...new Set(mids)].map((mid) => messageRef(ctx, mid)), watermark })),
    },
  ];
}

function mapReaction(r: Json, ev: Json, base: string, ctx: MapContext, timestamp: string, detail: Detail): Draft[] {
  const rbase = `${base}.reaction`;
  const mid = reqId(r, 'mid', rbase);
  const action = optText(r, 'action') ?? 'react';
  if (action !== 'react' && action !== 'unreact') throw malformed(rbase, 'action', '"react" or "unreact"');
  const emoji = optText(r, 'emoji');
  if (r.reaction !== undefined) detail.reaction = r.reaction;
  return [
    {
      type: action === 'unreact' ? 'messaging.reaction.removed' : 'messaging.reaction.added',
      timestamp,
      rawId: mid,
      kind: 'messaging.reaction',
      detail,
      discriminator: [action, emoji ?? optText(r, 'reaction') ?? '', String(ev.timestamp ?? '')],
      data: merge(userThread(ctx, ev, base, 'sender', detail), {
        reaction: compact({
          emoji: emoji || undefined,
          kind: emoji || action === 'unreact' ? ('emoji' as const) : ('other' as const),
          target: messageRef(ctx, mid),
        }),
      }),
    },
  ];
}

function mapPostback(p: Json, ev: Json, base: string, ctx: MapContext, timestamp: string, detail: Detail): Draft[] {
  const pbase = `${base}.postback`;
  const payload = optText(p, 'payload');
  if (payload === undefined) throw p.payload === undefined ? missing(pbase, 'payload') : malformed(pbase, 'payload', 'a string');
  const mid = optId(p, 'mid');
  if (isObj(p.referral)) detail.referral = p.referral;
  const thread = userThread(ctx, ev, base, 'sender', detail);
  return [
    {
      type: 'messaging.postback',
      timestamp,
      kind: 'messaging.postback',
      detail,
      rawId: mid ?? `postback:${thread.contact.platform_user_id}:${String(ev.timestamp ?? timestamp)}`,
      discriminator: mid ? [] : [payload],
      data: merge(thread, {
        postback: compact({
          payload,
          title: optText(p, 'title'),
          source: 'button' as const,
          message: mid ? messageRef(ctx, mid) : undefined,
        }),
      }),
    },
  ];
}

function mapReferral(r: Json, ev: Json, base: string, ctx: MapContext, timestamp: string, detail: Detail): Draft[] {
  const thread = userThread(ctx, ev, base, 'sender', detail);
  return [
    {
      type: 'messaging.referral.received',
      timestamp,
      kind: 'messaging.referral',
      detail,
      rawId: `referral:${thread.contact.platform_user_id}:${String(ev.timestamp ?? timestamp)}`,
      discriminator: [optId(r, 'ref') ?? '', optId(r, 'ad_id') ?? ''],
      data: merge(thread, {
        referral: compact({
          source: optText(r, 'source') ?? 'UNKNOWN',
          ref: optId(r, 'ref'),
          ad_id: optId(r, 'ad_id'),
          url: optText(r, 'referer_uri') ?? optText(r, 'ads_context_data.photo_url'),
          headline: optText(r, 'ads_context_data.ad_title'),
        }),
      }),
    },
  ];
}

function mapOptin(o: Json, ev: Json, base: string, ctx: MapContext, timestamp: string, detail: Detail): Draft[] {
  // The checkbox plugin's optin has no sender: its user_ref names the person (userThread).
  const thread = userThread(ctx, ev, base, 'sender', detail);
  return [
    {
      type: 'messaging.optin.received',
      timestamp,
      kind: 'messaging.optin',
      detail,
      rawId: `optin:${thread.contact.platform_user_id}:${String(ev.timestamp ?? timestamp)}`,
      discriminator: [optText(o, 'type') ?? '', optText(o, 'ref') ?? ''],
      data: merge(thread, {
        optin: compact({
          type: optText(o, 'type'),
          ref: optText(o, 'ref') ?? optText(o, 'payload'),
          token: optText(o, 'notification_messages_token'),
        }),
      }),
    },
  ];
}
