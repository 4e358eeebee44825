/**
 * One contact per person when a platform knows a person by two ids (identity.ts:
 * WhatsApp's phone number and BSUID, Messenger's PSID and user_ref). Pure:
 * which documents an event is about, once redirects are followed, and what
 * merging two of them gives.
 *
 * A merged contact (or conversation) stays as a redirect, `{ merged_into }`,
 * at its own id, so a later event that still names it (a status carrying only
 * the phone number) lands on the survivor. A contact's other ids get a
 * redirect as soon as an event names both, so the first event under the other
 * id finds the contact instead of creating a second one.
 *
 * The survivor is the one seen first (platform time; ties: the smaller id),
 * so any delivery order of the same events ends with the same survivor,
 * and ids already handed out (the older contact's and conversation's) stay.
 */
import type { ContactDoc, ConversationDoc } from './model';
import { PROFILE_FIELDS, type ProfileField } from './model';
import { newer, statusOf } from './reduce';

export interface Redirect {
  workspace_id: string;
  merged_into: string;
  /** The event that made the redirect. */
  created_by_event_id: string;
  created_at: string;
}

export function redirectOf(doc: unknown): string | undefined {
  const into = (doc as { merged_into?: unknown } | undefined)?.merged_into;
  return typeof into === 'string' && into.length > 0 ? into : undefined;
}

const ms = (iso: string | undefined) => (iso === undefined ? Infinity : Date.parse(iso));
const min = (a: string | undefined, b: string | undefined) => (a === undefined ? b : b === undefined ? a : ms(a) <= ms(b) ? a : b);
const max = (a: string | undefined, b: string | undefined) => (a === undefined ? b : b === undefined ? a : ms(a) >= ms(b) ? a : b);

/** Which of two documents survives a merge: the first seen, then the smaller id. */
export function survivorFirst<T>(a: { id: string; first: string; doc: T }, b: { id: string; first: string; doc: T }): [typeof a, typeof b] {
  const d = ms(a.first) - ms(b.first);
  return d < 0 || (d === 0 && a.id < b.id) ? [a, b] : [b, a];
}

/** The survivor with what the merged contact knew: each profile value and the subscription by the time that set it, activity times widened. */
export function foldContacts(survivor: ContactDoc, merged: ContactDoc, now: string): ContactDoc {
  const doc: ContactDoc = { ...survivor, profile_at: { ...survivor.profile_at } };
  for (const field of PROFILE_FIELDS) {
    const value = merged[field];
    const at = merged.profile_at[field];
    if (value === undefined || at === undefined) continue;
    const mine = doc.profile_at[field];
    if (doc[field] === undefined || mine === undefined || newer(Date.parse(at), Date.parse(mine), value, doc[field])) {
      doc[field as ProfileField] = value;
      doc.profile_at[field] = at;
    }
  }
  if (merged.subscription_at !== undefined && merged.subscribed !== undefined) {
    const mine = survivor.subscription_at;
    if (mine === undefined || Date.parse(merged.subscription_at) > Date.parse(mine)) {
      doc.subscribed = merged.subscribed;
      doc.subscription_at = merged.subscription_at;
    }
  }
  doc.first_seen_at = min(survivor.first_seen_at, merged.first_seen_at) as string;
  for (const key of ['last_seen_at', 'last_inbound_at', 'last_outbound_at'] as const) {
    const value = max(survivor[key], merged[key]);
    if (value !== undefined) doc[key] = value;
  }
  doc.updated_at = now;
  return doc;
}

/** The survivor conversation with the merged one's times; its contact is the surviving contact. */
export function foldConversations(survivor: ConversationDoc, merged: ConversationDoc, contactId: string, now: string): ConversationDoc {
  const doc: ConversationDoc = { ...survivor, contact_id: contactId };
  doc.first_event_at = min(survivor.first_event_at, merged.first_event_at) as string;
  for (const key of ['last_message_at', 'last_inbound_at', 'last_outbound_at', 'closed_at'] as const) {
    const value = max(survivor[key], merged[key]);
    if (value !== undefined) doc[key] = value;
  }
  if (merged.title !== undefined && merged.title_at !== undefined) {
    const mine = doc.title_at;
    if (doc.title === undefined || mine === undefined || newer(Date.parse(merged.title_at), Date.parse(mine), merged.title, doc.title)) {
      doc.title = merged.title;
      doc.title_at = merged.title_at;
    }
  }
  doc.status = statusOf(doc);
  doc.updated_at = now;
  return doc;
}

export function redirect(workspaceId: string, into: string, eventId: string, now: string): Redirect {
  return { workspace_id: workspaceId, merged_into: into, created_by_event_id: eventId, created_at: now };
}
