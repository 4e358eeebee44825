/**
 * One WhatsApp `messages[]` item (inbound) or `message_echoes[]` item (sent
 * from the WhatsApp Business app) → drafts.
 *
 *   text, image, video, audio, document, sticker, location, contacts → received (echo: sent)
 *   reaction            → reaction.added; empty or missing emoji → reaction.removed
 *   button              → postback (quick-reply button of a template)
 *   interactive         → postback (button_reply, list_reply, nfm_reply)
 *   order               → commerce.order.created
 *   edit / revoke       → message.edited / message.deleted (extensions)
 *   system user_changed_number / user_changed_user_id → contact.identity_changed (extension)
 *   other system types, unsupported, request_welcome, unknown... → unsupported
 */
import type { Static } from '@sinclair/typebox';
import type { LineItem as LineItemSchema } from '../../envelope/parts';
import { arr, compact, merge, isObj, num, optId, optText, reqId, type Json } from '../../platform-kit/fields';
import { missing, unsupported } from '../../platform-kit/problems';
import { directThread, messageRef, type InThread } from '../../platform-kit/thread';
import type { Draft, MapContext } from '../../platform-kit/types';
import { CONTENT_TYPES, waMessage } from './normalize-content';
import { addUserDetail, channelContact, FROM, identityChange, TO, waTime, waUser, type WaUser } from './normalize-identity';

/** The user's 1:1 thread: contact and conversation ids from the user's key (normalize-identity.ts). */
function thread(ctx: MapContext, user: WaUser): InThread {
  return directThread(ctx, channelContact(user));
}

export function mapEcho(msg: Json, base: string, ctx: MapContext, value: Json, entry: Json): Draft[] {
  const id = reqId(msg, 'id', base);
  const user = waUser(msg, TO, base, value);
  const type = optText(msg, 'type') ?? '(none)';
  if (!CONTENT_TYPES.has(type)) throw unsupported(`message_echoes.${type}`);
  const detail: Record<string, unknown> = { sent_from: 'business_app' };
  const timestamp = waTime(msg, ctx, entry, detail);
  addUserDetail(detail, user);
  return [
    {
      type: 'messaging.message.sent',
      timestamp,
      rawId: id,
      kind: 'message_echoes',
      detail,
      data: merge(thread(ctx, user), { message: waMessage(ctx, id, type, msg, 'outbound') }),
    },
  ];
}

export function mapInbound(msg: Json, base: string, ctx: MapContext, value: Json, entry: Json): Draft[] {
  const id = reqId(msg, 'id', base);
  const type = optText(msg, 'type') || undefined;
  // System messages carry no contacts[] and name the user by old and new ids (mapSystem).
  if (type === 'system') return mapSystem(msg, id, base, ctx, entry);
  const user = waUser(msg, FROM, base, value);
  if (type === undefined) throw missing(base, 'type');
  const detail: Record<string, unknown> = {};
  const timestamp = waTime(msg, ctx, entry, detail);
  addUserDetail(detail, user);
  const t = thread(ctx, user);
  if (isObj(msg.referral)) detail.referral = msg.referral;
  if (isObj(msg.context)) detail.context = msg.context;
  const kind = `messages.${type}`;

  if (CONTENT_TYPES.has(type)) {
    return [
      {
        type: 'messaging.message.received',
        timestamp,
        rawId: id,
        kind,
        detail,
        data: merge(t, { message: waMessage(ctx, id, type, msg, 'inbound') }),
      },
    ];
  }

  switch (type) {
    case 'reaction': {
      const target = reqId(msg, 'reaction.message_id', base);
      const emoji = optText(msg, 'reaction.emoji');
      return [
        {
          type: emoji ? 'messaging.reaction.added' : 'messaging.reaction.removed',
          timestamp,
          rawId: id,
          kind,
          detail,
          discriminator: [emoji ?? ''],
          data: merge(t, { reaction: compact({ emoji: emoji || undefined, kind: 'emoji' as const, target: messageRef(ctx, target) }) }),
        },
      ];
    }
    case 'button': {
      const payload = optText(msg, 'button.payload') ?? optText(msg, 'button.text');
      if (payload === undefined) throw missing(base, 'button.payload');
      return [postback(timestamp, id, kind, detail, t, ctx, { payload, title: optText(msg, 'button.text'), source: 'button' })];
    }
    case 'interactive': {
      const sub = optText(msg, 'interactive.type') ?? '(none)';
      const reply = isObj(msg.interactive) ? (msg.interactive[sub] as Json | undefined) : undefined;
      const rbase = `${base}.interactive.${sub}`;
      if (sub === 'button_reply' || sub === 'list_reply') {
        const payload = reqId(reply, 'id', rbase);
        if (sub === 'list_reply' && optText(reply, 'description')) detail.description = optText(reply, 'description');
        return [
          postback(timestamp, id, `${kind}.${sub}`, detail, t, ctx, {
            payload,
            title: optText(reply, 'title'),
            source: sub === 'list_reply' ? 'list' : 'button',
          }),
        ];
      }
      if (sub === 'nfm_reply') {
        const payload = optText(reply, 'response_json');
        if (payload === undefined) throw missing(rbase, 'response_json');
        return [postback(timestamp, id, `${kind}.${sub}`, detail, t, ctx, { payload, title: optText(reply, 'name'), source: 'other' })];
      }
      throw unsupported(`${kind}.${sub}`);
    }
    case 'order':
      return [
        {
          type: 'commerce.order.created',
          timestamp,
          rawId: id,
          kind,
          detail,
          data: { contact_id: t.contact_id, conversation_id: t.conversation_id, order: order(msg, id) },
        },
      ];
    case 'edit': {
      const original = reqId(msg, 'edit.original_message_id', base);
      const edited = isObj(msg.edit) && isObj(msg.edit.message) ? msg.edit.message : undefined;
      if (!edited) throw missing(base, 'edit.message');
      const editedType = optText(edited, 'type') ?? '(none)';
      if (!CONTENT_TYPES.has(editedType)) throw unsupported(`messages.edit.${editedType}`);
      const message = waMessage(ctx, original, editedType, edited, 'inbound');
      return [
        {
          type: 'messaging.message.edited',
          timestamp,
          rawId: id,
          kind,
          detail,
          data: merge(t, { message: compact(merge(message, { reply_to: undefined })) }),
        },
      ];
    }
    case 'revoke': {
      const original = reqId(msg, 'revoke.original_message_id', base);
      return [
        { type: 'messaging.message.deleted', timestamp, rawId: id, kind, detail, data: merge(t, { message: messageRef(ctx, original) }) },
      ];
    }
    default: {
      const error = arr(msg.errors)[0];
      throw unsupported(
        kind,
        isObj(error) ? `${String(error.code ?? '')} ${String(error.title ?? error.message ?? '')}`.trim() : undefined,
      );
    }
  }
}

/**
 * A system message: a number or BSUID change is messaging.contact.identity_changed,
 * with the contact under its new ids and the ids it had (which the contacts
 * subscriber ties to it); other system types stay unsupported.
 */
function mapSystem(msg: Json, id: string, base: string, ctx: MapContext, entry: Json): Draft[] {
  const change = identityChange(msg, base);
  if (!change) throw unsupported(`messages.system.${optText(msg, 'system.type') || '(none)'}`);
  const detail: Record<string, unknown> = { system_type: change.type };
  const timestamp = waTime(msg, ctx, entry, detail);
  addUserDetail(detail, change.user);
  if (change.parents.previous !== undefined) detail.previous_parent_user_id = change.parents.previous;
  // The old contact's key by the same rule as every other item's: its BSUID when named, else its number.
  const previousKey = change.previous[0] as string;
  return [
    {
      type: 'messaging.contact.identity_changed',
      timestamp,
      rawId: id,
      kind: `messages.system.${change.type}`,
      detail,
      data: merge(thread(ctx, change.user), { previous: { contact_id: ctx.contactId(previousKey), platform_user_ids: change.previous } }),
    },
  ];
}

function postback(
  timestamp: string,
  id: string,
  kind: string,
  detail: Record<string, unknown>,
  t: InThread,
  ctx: MapContext,
  p: { payload: string; title: string | undefined; source: 'button' | 'list' | 'other' },
): Draft<'messaging.postback'> {
  return {
    type: 'messaging.postback',
    timestamp,
    rawId: id,
    kind,
    detail,
    data: merge(t, { postback: compact(merge(p, { message: messageRef(ctx, id) })) }),
  };
}

function order(msg: Json, id: string) {
  const o = isObj(msg.order) ? msg.order : {};
  const items: Static<typeof LineItemSchema>[] = arr(o.product_items).map((p) =>
    compact({
      product_id: optId(p, 'product_retailer_id'),
      quantity: num((p as Json)?.quantity) ?? 0,
      unit_price: num((p as Json)?.item_price),
      currency: currency(optText(p, 'currency')),
    }),
  );
  const currencies = [...new Set(items.map((i) => i.currency).filter(Boolean))];
  const priced = items.every((i) => i.unit_price !== undefined);
  const note = optText(o, 'text');
  return compact({
    id,
    status: 'created' as const,
    catalog_id: optId(o, 'catalog_id'),
    items,
    currency: currencies.length === 1 ? currencies[0] : undefined,
    total:
      priced && currencies.length <= 1 && items.length > 0
        ? Math.round(items.reduce((sum, i) => sum + (i.unit_price ?? 0) * i.quantity, 0) * 100) / 100
        : undefined,
    note: note || undefined,
  });
}

/** Only ISO 4217-shaped codes reach `currency`; anything else is left out rather than failing the order. */
function currency(value: string | undefined): string | undefined {
  return value && /^[A-Z]{3}$/.test(value) ? value : undefined;
}
