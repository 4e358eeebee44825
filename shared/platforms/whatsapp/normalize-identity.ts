/**
 * Who a WhatsApp item is about, from every identifier Meta sends for a user:
 *
 *   phone number (wa_id)      messages[].from, statuses[].recipient_id, message_echoes[].to, contacts[].wa_id
 *   BSUID (business-scoped)   messages[].from_user_id, statuses[].recipient_user_id, message_echoes[].to_user_id, contacts[].user_id
 *   parent BSUID              the same names with `parent_` (from_parent_user_id, recipient_parent_user_id, contacts[].parent_user_id)
 *   username, profile name    contacts[].profile.username / .name
 *
 * A user who adopted a username may come without a phone number (`from` absent
 * or ""), and a failed status may come without a BSUID. Empty strings are
 * absent values, never ids. What the item itself leaves out is completed from
 * the change's contacts[] entry for the same user (matched by either id).
 *
 * Contact id rule (docs/platforms/whatsapp.md#contact-identity): the contact's
 * `platform_user_id`, hence its `ct_` and 1:1 `conv_` ids, is the BSUID when the
 * payload names one, else the phone number. Meta sends the BSUID on every
 * message and delivered/read status, with or without a phone number, so a
 * username user and the same user's later messages with their number are one
 * contact without any lookup; payloads without BSUIDs (before April 2026)
 * keep the phone-number ids they always had. The parent BSUID is kept in
 * platform_detail, not used as the id: it exists only where Meta enabled it,
 * and switching to it would split contacts already keyed by BSUID.
 */
import type { ChannelContact } from '../../envelope/parts';
import { contactKey } from '../../contacts/identity';
import { arr, compact, isObj, optId, optText, type Json } from '../../platform-kit/fields';
import { missing } from '../../platform-kit/problems';
import { dateToIso, epochToIso } from '../../platform-kit/time';
import type { MapContext } from '../../platform-kit/types';

export interface WaUser {
  /** The phone number (wa_id), when the payload names it. */
  phone?: string;
  /** The business-scoped user id (BSUID), when the payload names it. */
  bsuid?: string;
  parentBsuid?: string;
  username?: string;
  name?: string;
}

/** The item's own field names for each identifier (messages: from / from_user_id / from_parent_user_id). */
export interface IdFields {
  phone: string;
  bsuid: string;
  parent: string;
}

export const FROM: IdFields = { phone: 'from', bsuid: 'from_user_id', parent: 'from_parent_user_id' };
export const TO: IdFields = { phone: 'to', bsuid: 'to_user_id', parent: 'to_parent_user_id' };
export const RECIPIENT: IdFields = { phone: 'recipient_id', bsuid: 'recipient_user_id', parent: 'recipient_parent_user_id' };

/** The contacts[] entry for this user: the one whose wa_id or user_id matches. */
function profileOf(value: Json, phone: string | undefined, bsuid: string | undefined): Json | undefined {
  for (const c of arr(value.contacts)) {
    if (!isObj(c)) continue;
    const waId = optId(c, 'wa_id');
    const userId = optId(c, 'user_id');
    if ((phone !== undefined && waId === phone) || (bsuid !== undefined && userId === bsuid)) return c;
  }
  return undefined;
}

/**
 * The user an item names through `fields`, completed from contacts[]. Throws
 * `<base>.<phone field> is missing` when it names neither a phone number nor a
 * BSUID (the one field every payload version has).
 */
export function waUser(item: Json, fields: IdFields, base: string, value: Json): WaUser {
  let phone = optId(item, fields.phone);
  let bsuid = optId(item, fields.bsuid);
  if (phone === undefined && bsuid === undefined) throw missing(base, fields.phone);
  let parentBsuid = optId(item, fields.parent);
  const profile = profileOf(value, phone, bsuid);
  phone ??= optId(profile, 'wa_id');
  bsuid ??= optId(profile, 'user_id');
  parentBsuid ??= optId(profile, 'parent_user_id');
  const username = optText(profile, 'profile.username');
  const name = optText(profile, 'profile.name');
  return compact({ phone, bsuid, parentBsuid, username: username || undefined, name: name || undefined });
}

/** The contact id source: the BSUID when known, else the phone number (the identity rules, shared/contacts/identity.ts). */
export function userKey(user: WaUser): string {
  return contactKey('whatsapp', { bsuid: user.bsuid, phone: user.phone }) as string;
}

export function channelContact(user: WaUser): ChannelContact {
  return compact({ platform_user_id: userKey(user), display_name: user.name, username: user.username, phone: user.phone });
}

/** The identifiers for platform_detail: all of them, so consumers can match on any. */
function userDetail(user: WaUser): Record<string, string | undefined> {
  return compact({ wa_id: user.phone, user_id: user.bsuid, parent_user_id: user.parentBsuid });
}

/** platform_detail.user: every identifier of the user, when the payload has more than a phone number. */
export function addUserDetail(detail: Record<string, unknown>, user: WaUser): void {
  if (user.bsuid !== undefined || user.parentBsuid !== undefined) detail.user = userDetail(user);
}

/**
 * The item's time (`timestamp`, epoch seconds), else the entry's `time` when
 * it has one (a platform time too), else the receive time, said in
 * platform_detail.timestamp_source = `received_at` as the normalizer's other
 * receive-time fallbacks are: Meta leaves optional fields out of some change
 * values, and a time we made up must not pass for the platform's.
 */
export function waTime(item: Json, ctx: MapContext, entry: Json, detail: Record<string, unknown>): string {
  const own = epochToIso(item.timestamp, 's') ?? dateToIso(item.timestamp) ?? epochToIso(entry.time, 'auto');
  if (own) return own;
  detail.timestamp_source = 'received_at';
  return ctx.receivedAt;
}

export interface IdentityChange {
  /** `user_changed_number` or `user_changed_user_id`. */
  type: string;
  /** The user under their new ids: the new BSUID and, for a number change, the new phone number. */
  user: WaUser;
  /** The contact keys the user had: the old BSUID and the old phone number, as far as the message names them. */
  previous: string[];
  /** The parent BSUIDs (old, new) when Meta enabled them: kept in platform_detail, never keys. */
  parents: { previous?: string; current?: string };
}

/** The system types that announce an identity change; `customer_changed_number` is the pre-v12 name of a number change. */
const IDENTITY_TYPES = new Set(['user_changed_number', 'user_changed_user_id', 'customer_changed_number']);

/**
 * A system message announcing that a user's phone number or BSUID changed
 * (docs/platforms/whatsapp.md#identity-changes), or undefined for other
 * system messages. Meta's current shape: `from` the old number (absent or ""
 * for a BSUID-only change), `system.wa_id` the new number (`new_wa_id` before
 * v12), `system.user_id` / `system.parent_user_id` the new BSUIDs and
 * `system.previous_user_id` / `system.previous_parent_user_id` the old ones
 * (earlier drafts put the old BSUID in `from_user_id`). Throws when the new
 * or the old identity is missing: the change cannot be applied without both.
 */
export function identityChange(msg: Json, base: string): IdentityChange | undefined {
  const type = optText(msg, 'system.type');
  if (type === undefined || !IDENTITY_TYPES.has(type)) return undefined;
  const phone = type === 'user_changed_user_id' ? undefined : (optId(msg, 'system.wa_id') ?? optId(msg, 'system.new_wa_id'));
  const bsuid = optId(msg, 'system.user_id');
  if (phone === undefined && bsuid === undefined) throw missing(base, type === 'user_changed_user_id' ? 'system.user_id' : 'system.wa_id');
  const oldBsuid = optId(msg, 'system.previous_user_id') ?? optId(msg, 'from_user_id');
  const oldPhone = optId(msg, 'from');
  const previous = [...new Set([oldBsuid, oldPhone].filter((v): v is string => v !== undefined))];
  if (previous.length === 0) throw missing(base, type === 'user_changed_user_id' ? 'system.previous_user_id' : 'from');
  const parents = compact({
    previous: optId(msg, 'system.previous_parent_user_id') ?? optId(msg, 'from_parent_user_id'),
    current: optId(msg, 'system.parent_user_id'),
  });
  return { type, user: compact({ phone, bsuid, parentBsuid: parents.current }), previous, parents };
}
