/**
 * Pure state transitions: (stored document, observation) -> next document and
 * whether it must be written. No I/O, so the ordering rules are unit-testable.
 *
 * Ordering: each piece of state remembers the platform time that set it and
 * only a newer event replaces it (ties are broken by a fixed rule, so any
 * delivery order of the same events ends in the same state).
 *
 * Write budget: Firestore sustains about one write per second per document,
 * and a chatty contact sends faster than that. Changes are therefore of two
 * kinds:
 *   - meaningful (creation, profile, subscription, status, first-seen moving
 *     back): always written;
 *   - timestamp-only (last seen / inbound / outbound moving forward, a
 *     profile value or a conversation title re-confirmed by a newer event):
 *     written only when one of them moves forward by at least the coalescing
 *     window, or together with a meaningful change. Stored activity times
 *     therefore lag by less than the window.
 *
 * The price of coalescing re-confirmations: a stored `profile_at.<field>` /
 * `title_at` may be up to the window older than the latest event that
 * re-confirmed the value, so a different value set inside that gap and
 * delivered after the re-confirmation wins although it is older (A at t0,
 * A at t30, late B from t20: B). Writing every re-confirmation instead would
 * write the contact on every WhatsApp or Telegram message (they carry the
 * profile each time), which is what coalescing exists to avoid. With
 * coalescing off every re-confirmation is written and the result is exact.
 */
import type { ContactDoc, ConversationDoc, ProfileField } from './model';
import { PROFILE_FIELDS } from './model';
import type { Observation } from './observe';

export interface ReduceOptions {
  /** Coalescing window for timestamp-only updates, in ms. */
  coalesceMs: number;
  /** Wall clock for bookkeeping fields. */
  now: string;
}

export interface Reduction<D> {
  doc: D;
  write: 'create' | 'update' | 'none';
}

export interface ContactReduction extends Reduction<ContactDoc> {
  /** ContactRecord fields that changed (profile fields, `subscribed`); empty on creation. */
  changedFields: string[];
}

export interface ConversationReduction extends Reduction<ConversationDoc> {
  /** True when this write gives the conversation its identity for the first time (announce it). */
  announce: boolean;
}

const ms = (iso: string | undefined) => (iso === undefined ? -Infinity : Date.parse(iso));
const iso = (at: number) => new Date(at).toISOString();

/** Tracks how a reduction changed a document. */
class Changes {
  meaningful = false;
  timestampDue = false;
  timestampDirty = false;
  constructor(private readonly coalesceMs: number) {}

  /** A forward move of a coalesced activity time: returns the new value, or undefined when it does not move. */
  activity(current: string | undefined, at: number): string | undefined {
    const previous = ms(current);
    if (at <= previous) return undefined;
    this.timestampDirty = true;
    if (at - previous >= this.coalesceMs) this.timestampDue = true;
    return iso(at);
  }

  get write(): boolean {
    return this.meaningful || this.timestampDue;
  }
}

/** Whether a value set at `at` replaces the one set at `currentAt` (ties: the larger value wins, so order never matters). */
export function newer(at: number, currentAt: number, value: string, current: string | undefined): boolean {
  if (at !== currentAt) return at > currentAt;
  return current === undefined || value > current;
}

export function reduceContact(current: ContactDoc | undefined, obs: Observation, options: ReduceOptions): ContactReduction | undefined {
  const seen = obs.contact;
  if (!seen) return undefined;
  const at = iso(obs.at);
  const activeAt = seen.activity === 'inbound' || seen.activity === 'outbound' || seen.activity === 'seen';
  const contactActed = seen.activity === 'inbound' || seen.activity === 'seen';

  if (!current) {
    const profile_at: Record<string, string> = {};
    for (const field of Object.keys(seen.profile)) profile_at[field] = at;
    const doc: ContactDoc = {
      contact_id: seen.contact_id,
      workspace_id: obs.workspace_id,
      block_id: obs.block_id,
      platform: obs.platform,
      platform_user_id: seen.platform_user_id,
      ...seen.profile,
      profile_at,
      ...(seen.subscribed !== undefined ? { subscribed: seen.subscribed, subscription_at: at } : {}),
      first_seen_at: at,
      ...(contactActed ? { last_seen_at: at } : {}),
      ...(seen.activity === 'inbound' ? { last_inbound_at: at } : {}),
      ...(seen.activity === 'outbound' ? { last_outbound_at: at } : {}),
      created_by_event_id: obs.event_id,
      created_at: options.now,
      updated_at: options.now,
    };
    return { doc, write: 'create', changedFields: [] };
  }

  const doc: ContactDoc = { ...current, profile_at: { ...current.profile_at } };
  const changes = new Changes(options.coalesceMs);
  const changedFields: string[] = [];

  for (const field of PROFILE_FIELDS) {
    const value = seen.profile[field];
    if (value === undefined) continue;
    const currentAt = ms(current.profile_at[field]);
    if (value === current[field]) {
      // Re-confirmed by a newer event: remember its time, so an older different value arriving late still loses.
      if (obs.at > currentAt && changes.activity(current.profile_at[field], obs.at)) doc.profile_at[field] = at;
      continue;
    }
    if (!newer(obs.at, currentAt, value, current[field])) continue;
    doc[field as ProfileField] = value;
    doc.profile_at[field] = at;
    changes.meaningful = true;
    changedFields.push(field);
  }

  if (seen.subscribed !== undefined) {
    const currentAt = ms(current.subscription_at);
    // Ties: unfollow wins (never message someone who may have left).
    const wins = obs.at > currentAt || (obs.at === currentAt && seen.subscribed === false);
    if (wins) {
      if (seen.subscribed !== current.subscribed) {
        doc.subscribed = seen.subscribed;
        changes.meaningful = true;
        changedFields.push('subscribed');
      }
      if (obs.at > currentAt) {
        doc.subscription_at = at;
        changes.meaningful = true;
      }
    }
  }

  if (obs.at < ms(current.first_seen_at)) {
    doc.first_seen_at = at;
    changes.meaningful = true;
  }
  if (activeAt) {
    if (contactActed) {
      const next = changes.activity(current.last_seen_at, obs.at);
      if (next) doc.last_seen_at = next;
    }
    const direction = seen.activity === 'inbound' ? 'last_inbound_at' : seen.activity === 'outbound' ? 'last_outbound_at' : undefined;
    if (direction) {
      const next = changes.activity(current[direction], obs.at);
      if (next) doc[direction] = next;
    }
  }

  if (!changes.write) return { doc: current, write: 'none', changedFields: [] };
  doc.updated_at = options.now;
  return { doc, write: 'update', changedFields };
}

/**
 * Open/closed is derived, not stored as a last-writer-wins flag: a thread is
 * closed while its latest close is newer than its latest inbound message. So
 * a new inbound message after a close reopens it, an outbound one (our
 * follow-up) does not, a late close never closes a thread the contact has
 * written in since, and any delivery order gives the same status. Caveat: a
 * timestamp-only inbound bump may be coalesced, so a close arriving late by
 * less than the window can win over an inbound message it should have lost.
 */
export function statusOf(doc: Pick<ConversationDoc, 'closed_at' | 'last_inbound_at'>): ConversationDoc['status'] {
  return ms(doc.closed_at) > ms(doc.last_inbound_at) ? 'closed' : 'open';
}

export function reduceConversation(
  current: ConversationDoc | undefined,
  obs: Observation,
  options: ReduceOptions,
): ConversationReduction | undefined {
  const seen = obs.conversation;
  if (!seen) return undefined;
  const at = iso(obs.at);
  const message = seen.activity === 'inbound' || seen.activity === 'outbound';
  const direct = seen.identity?.kind === 'direct';

  if (!current) {
    const base = {
      conversation_id: seen.conversation_id,
      workspace_id: obs.workspace_id,
      ...(seen.close ? { closed_at: at } : {}),
      ...(seen.activity === 'inbound' ? { last_inbound_at: at } : {}),
    };
    const doc: ConversationDoc = {
      ...base,
      ...(seen.identity
        ? {
            block_id: obs.block_id,
            platform: obs.platform,
            platform_conversation_id: seen.identity.platform_conversation_id,
            kind: seen.identity.kind,
            ...(seen.identity.title ? { title: seen.identity.title, title_at: at } : {}),
          }
        : {}),
      ...(direct && seen.contact_id ? { contact_id: seen.contact_id } : {}),
      status: statusOf(base),
      first_event_at: at,
      ...(message ? { last_message_at: at } : {}),
      ...(seen.activity === 'outbound' ? { last_outbound_at: at } : {}),
      announced: seen.identity !== undefined,
      created_by_event_id: obs.event_id,
      created_at: options.now,
      updated_at: options.now,
    };
    return { doc, write: 'create', announce: doc.announced };
  }

  const doc: ConversationDoc = { ...current };
  const changes = new Changes(options.coalesceMs);
  let announce = false;

  if (seen.identity && !current.announced) {
    // A close made a stub before the thread's first message arrived: it now gets its identity.
    Object.assign(doc, {
      block_id: obs.block_id,
      platform: obs.platform,
      platform_conversation_id: seen.identity.platform_conversation_id,
      kind: seen.identity.kind,
      announced: true,
    });
    announce = true;
    changes.meaningful = true;
  }
  if (direct && seen.contact_id && !current.contact_id) {
    doc.contact_id = seen.contact_id;
    changes.meaningful = true;
  }
  const title = seen.identity?.title;
  if (title !== undefined && title === current.title) {
    // Re-confirmed by a newer event: remember its time (coalesced, as a profile
    // value's), so an older different title arriving late still loses.
    const next = changes.activity(current.title_at, obs.at);
    if (next) doc.title_at = next;
  } else if (title !== undefined && newer(obs.at, ms(current.title_at), title, current.title)) {
    doc.title = title;
    doc.title_at = at;
    changes.meaningful = true;
  }
  if (seen.close && obs.at > ms(current.closed_at)) {
    doc.closed_at = at;
    changes.meaningful = true;
  }
  if (obs.at < ms(current.first_event_at)) {
    doc.first_event_at = at;
    changes.meaningful = true;
  }
  if (message) {
    const last = changes.activity(current.last_message_at, obs.at);
    if (last) doc.last_message_at = last;
    const direction = seen.activity === 'inbound' ? 'last_inbound_at' : 'last_outbound_at';
    const next = changes.activity(current[direction], obs.at);
    if (next) doc[direction] = next;
  }
  doc.status = statusOf(doc);
  // Reopening is never coalesced away.
  if (doc.status !== current.status) changes.meaningful = true;

  if (!changes.write) return { doc: current, write: 'none', announce: false };
  doc.updated_at = options.now;
  return { doc, write: 'update', announce };
}
