/**
 * WhatsApp `statuses[]` (what happened to a message we sent) and change-level
 * `errors[]` (the phone number / app has a problem) → drafts.
 *
 *   sent → message.sent, delivered → message.delivered, read → message.read,
 *   failed → message.failed (with the first error), others (deleted, warning,
 *   played...) → unsupported; errors[] → platform.block.error.
 */
import type { ErrorInfo } from '../../envelope/parts';
import { arr, compact, merge, isObj, optText, reqId, str, type Json } from '../../platform-kit/fields';
import { missing, unsupported } from '../../platform-kit/problems';
import { directThread, messageRef } from '../../platform-kit/thread';
import type { Draft, MapContext } from '../../platform-kit/types';
import { addUserDetail, channelContact, RECIPIENT, waTime, waUser } from './normalize-identity';

export function waError(raw: unknown, base: string): ErrorInfo {
  const code = str((raw as Json | undefined)?.code);
  if (!code) throw missing(base, 'code');
  return compact({
    code,
    message: optText(raw, 'message') ?? optText(raw, 'title') ?? '',
    details: optText(raw, 'error_data.details'),
  });
}

export function mapStatus(s: Json, base: string, ctx: MapContext, value: Json, entry: Json): Draft[] {
  const id = reqId(s, 'id', base);
  const status = optText(s, 'status') || undefined;
  if (status === undefined) throw missing(base, 'status');
  // recipient_id (phone number) and/or recipient_user_id (BSUID); contacts[] may name the other.
  const user = waUser(s, RECIPIENT, base, value);
  const detail: Record<string, unknown> = {};
  const timestamp = waTime(s, ctx, entry, detail);
  addUserDetail(detail, user);
  const t = directThread(ctx, channelContact(user));
  for (const key of ['conversation', 'pricing', 'biz_opaque_callback_data']) if (s[key] !== undefined) detail[key] = s[key];
  const common = { timestamp, rawId: id, kind: `statuses.${status}`, detail, discriminator: [status] };
  switch (status) {
    case 'sent':
      return [
        merge(common, {
          type: 'messaging.message.sent' as const,
          data: merge(t, {
            message: {
              id: ctx.messageId(id),
              platform_message_id: id,
              direction: 'outbound' as const,
              type: 'unknown' as const,
              attachments: [],
            },
          }),
        }),
      ];
    case 'delivered':
      return [merge(common, { type: 'messaging.message.delivered', data: merge(t, { messages: [messageRef(ctx, id)] }) })];
    case 'read':
      return [merge(common, { type: 'messaging.message.read', data: merge(t, { messages: [messageRef(ctx, id)] }) })];
    case 'failed': {
      const errors = arr(s.errors);
      if (errors.length === 0) throw missing(base, 'errors');
      if (errors.length > 1) detail.errors = errors;
      return [
        merge(common, {
          type: 'messaging.message.failed',
          data: merge(t, { message: messageRef(ctx, id), error: waError(errors[0], `${base}.errors[0]`) }),
        }),
      ];
    }
    default:
      throw unsupported(`statuses.${status}`);
  }
}

export function mapChangeError(e: Json, base: string, ctx: MapContext, phoneNumberId: string): Draft[] {
  const error = waError(e, base);
  const detail: Record<string, unknown> = {};
  if (isObj(e.error_data)) detail.error_data = e.error_data;
  if (typeof e.href === 'string') detail.href = e.href;
  return [
    {
      type: 'platform.block.error',
      // errors[] carry no time of their own.
      timestamp: ctx.receivedAt,
      rawId: `errors:${error.code}`,
      // Nor an id: the same error reported again hours later is a new event, but
      // without a time in its identity it would share the first one's id and be
      // deduplicated for the whole retention period. The receive hour (ISO up to
      // the hour, `2024-03-31T10`) is the coarse time. A Pub/Sub redelivery keeps
      // the edge's received_at, so it always dedupes; Meta retrying the request
      // is received anew and dedupes only within the same hour. Trade-off: a
      // redelivery that crosses an hour boundary (or one without received_at,
      // which falls back to the normalizer's clock) gets a new id and shows up
      // twice, and one error repeated within the hour is shown once; a finer
      // bucket duplicates more redeliveries, a coarser one swallows more repeats.
      discriminator: [phoneNumberId, ctx.receivedAt.slice(0, 13), JSON.stringify(e)],
      kind: 'errors',
      detail,
      data: { error, account_id: phoneNumberId },
    },
  ];
}
