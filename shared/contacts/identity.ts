/**
 * Contact identity rules, once for every platform (docs/subscribers.md#contacts).
 * Pure: the normalizers ask it which id a contact id derives from, the contacts
 * subscriber which other ids of the same person an envelope names (each must
 * lead to the contact: a redirect, or a merge, merge.ts and plan.ts).
 *
 * The per-platform part is the table PERSON_IDS and nothing else: the kinds of
 * id a platform names one person by, primary first, and where an envelope
 * carries a kind that is not its contact's `platform_user_id`. A platform with
 * one kind has no redirects, and its subscribers read nothing more.
 */
import type { ChannelContact } from '../envelope/parts';
import type { Platform } from '../platforms';

export interface IdKind {
  /** The name the normalizer gives this kind of id (contactKey's `ids`). */
  kind: string;
  /** Where an envelope names this id when another kind is its platform_user_id; absent: never a secondary id. */
  carried?: { in: 'contact' | 'platform_detail'; field: string };
}

/**
 * Each platform's kinds of user id, the contact id's source first. Why each
 * order: docs/subscribers.md#contacts.
 */
export const PERSON_IDS: Readonly<Record<Platform, readonly IdKind[]>> = {
  // BSUID on every message and delivered/read status; the phone number when the user shows it.
  whatsapp: [{ kind: 'bsuid' }, { kind: 'phone', carried: { in: 'contact', field: 'phone' } }],
  // PSID; a checkbox plugin's user_ref before the PSID exists (optin), named beside it in prior_message.
  messenger: [{ kind: 'psid' }, { kind: 'user_ref', carried: { in: 'platform_detail', field: 'user_ref' } }],
  // Every Instagram webhook names a person by one id, the Instagram-scoped id (IGSID).
  instagram: [{ kind: 'igsid' }],
  line: [{ kind: 'user_id' }],
  telegram: [{ kind: 'user_id' }],
};

/** A non-empty string: empty strings are absent values, never ids. */
const present = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * The id a contact (and its 1:1 conversation) id derives from: the first kind
 * in the platform's order that `ids` names; undefined when it names none.
 * Deterministic in the payload, so redeliveries always derive the same ids.
 */
export function contactKey(platform: Platform, ids: Readonly<Record<string, string | undefined>>): string | undefined {
  for (const { kind } of PERSON_IDS[platform]) if (present(ids[kind])) return ids[kind];
  return undefined;
}

/**
 * The platform_detail fields a normalizer writes for the secondary ids `ids`
 * names (those carried there, PERSON_IDS), also when one of them is the
 * contact's own id: platform_detail then says which kind the id is.
 */
export function carriedIds(platform: Platform, ids: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { kind, carried } of PERSON_IDS[platform]) {
    const id = ids[kind];
    if (carried?.in === 'platform_detail' && present(id)) out[carried.field] = id;
  }
  return out;
}

/** Platforms that name one person by more than one id, and so have redirects. */
export function hasRedirects(platform: Platform | string): boolean {
  return ((PERSON_IDS as Record<string, readonly IdKind[] | undefined>)[platform]?.length ?? 0) > 1;
}

/**
 * The other ids an envelope names for its contact's person: each secondary
 * kind where the platform carries it, and the ids an identity change replaced
 * (`previous`). Never the contact's own id; each once, in table order.
 */
export function otherIds(
  platform: Platform,
  contact: ChannelContact,
  detail: Record<string, unknown> | undefined,
  previous: readonly string[] = [],
): string[] {
  const found: unknown[] = [];
  for (const { carried } of PERSON_IDS[platform]) {
    if (!carried) continue;
    found.push(carried.in === 'contact' ? (contact as unknown as Record<string, unknown>)[carried.field] : detail?.[carried.field]);
  }
  return [...new Set([...found, ...previous])].filter((id): id is string => present(id) && id !== contact.platform_user_id);
}
