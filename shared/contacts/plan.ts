/**
 * What one event does to the contact and conversation documents, once the
 * ids it names are resolved (merge.ts): which document it lands on, merges of
 * two documents of one person, redirects for ids seen for the first time, the
 * reductions (reduce.ts) and the envelopes derived from them.
 */
import type { DocumentReference } from '@google-cloud/firestore';
import type { Envelope } from '../envelope';
import { contactCreated, contactMerged, contactUpdated, conversationCreated } from './derived';
import { foldContacts, foldConversations, redirect, redirectOf, survivorFirst } from './merge';
import type { ContactDoc, ConversationDoc } from './model';
import type { Observation } from './observe';
import { reduceContact, reduceConversation, type ReduceOptions } from './reduce';
import type { DocWrite, Plan } from './store';

/** A document id an event leads to (after redirects) and its reference; the event's own id first. */
export interface Target {
  id: string;
  ref: DocumentReference;
}

/** A resolved id turned out to be a redirect inside the transaction (a merge committed meanwhile): resolve again. */
export class StaleRedirect extends Error {
  override readonly name = 'StaleRedirect';
}

interface Landing<D> {
  id: string;
  current: D | undefined;
  writes: DocWrite[];
  /** The document folded into the survivor, when this event merged two. */
  merged?: string;
  /** The survivor's folded document must be written even when the event changes nothing else. */
  force: boolean;
}

/**
 * Where an event lands among `targets` (one per distinct resolved id, with its
 * stored document): the only existing document, the survivor of two (the
 * other becomes a redirect), or a new one at the event's own id. Targets
 * without a document get a redirect to where it landed.
 */
function land<D extends object>(
  targets: Array<Target & { doc: Record<string, unknown> | undefined }>,
  first: (doc: D) => string,
  fold: (survivor: D, merged: D) => D,
  ws: string,
  eventId: string,
  now: string,
): Landing<D> {
  for (const t of targets) if (redirectOf(t.doc)) throw new StaleRedirect(`${t.id} was merged meanwhile`);
  const existing = targets.filter((t) => t.doc !== undefined);
  const writes: DocWrite[] = [];
  let landing: Landing<D>;
  if (existing.length >= 2) {
    const [a, b] = existing as [Target & { doc: D }, Target & { doc: D }];
    const [s, m] = survivorFirst({ id: a.id, first: first(a.doc), doc: a }, { id: b.id, first: first(b.doc), doc: b });
    writes.push({ ref: m.doc.ref, doc: redirect(ws, s.id, eventId, now), write: 'update' });
    landing = { id: s.id, current: fold(s.doc.doc, m.doc.doc), writes, merged: m.id, force: true };
  } else if (existing.length === 1) {
    const only = existing[0] as Target & { doc: D };
    landing = { id: only.id, current: only.doc, writes, force: false };
  } else {
    landing = { id: (targets[0] as Target).id, current: undefined, writes, force: false };
  }
  for (const t of targets) {
    if (t.doc === undefined && t.id !== landing.id)
      writes.push({ ref: t.ref, doc: redirect(ws, landing.id, eventId, now), write: 'create' });
  }
  return landing;
}

export function planEvent(
  obs: Observation,
  contacts: Array<Target & { doc: Record<string, unknown> | undefined }>,
  conversations: Array<Target & { doc: Record<string, unknown> | undefined }>,
  options: ReduceOptions,
): Plan {
  const ws = obs.workspace_id;
  const writes: DocWrite[] = [];
  const derived: Envelope[] = [];
  let contactId: string | undefined;

  if (obs.contact && contacts.length > 0) {
    const c = land<ContactDoc>(
      contacts,
      (d) => d.first_seen_at,
      (s, m) => foldContacts(s, m, options.now),
      ws,
      obs.event_id,
      options.now,
    );
    contactId = c.id;
    writes.push(...c.writes);
    const seen = { ...obs, contact: { ...obs.contact, contact_id: c.id } };
    const r = reduceContact(c.current, seen, options);
    const ref = (contacts.find((t) => t.id === c.id) as Target).ref;
    if (r && r.write !== 'none') writes.push({ ref, doc: r.doc, write: r.write });
    else if (c.force && c.current) writes.push({ ref, doc: c.current, write: 'update' });
    if (c.merged) derived.push(contactMerged(obs, c.id, c.merged));
    if (r?.write === 'create') derived.push(contactCreated(seen, r.doc));
    else if (r && r.changedFields.length > 0) derived.push(contactUpdated(seen, r.doc, r.changedFields));
  }

  if (obs.conversation && conversations.length > 0) {
    const survivorContact = contactId;
    const v = land<ConversationDoc>(
      conversations,
      (d) => d.first_event_at,
      (s, m) => foldConversations(s, m, survivorContact ?? s.contact_id ?? m.contact_id ?? '', options.now),
      ws,
      obs.event_id,
      options.now,
    );
    writes.push(...v.writes);
    let current = v.current;
    let force = v.force;
    const direct = obs.conversation.identity?.kind === 'direct' || current?.kind === 'direct';
    // A 1:1 thread belongs to the surviving contact.
    if (current && direct && survivorContact && current.contact_id !== undefined && current.contact_id !== survivorContact) {
      current = { ...current, contact_id: survivorContact, updated_at: options.now };
      force = true;
    }
    const conversation = { ...obs.conversation, conversation_id: v.id, ...(survivorContact ? { contact_id: survivorContact } : {}) };
    const r = reduceConversation(current, { ...obs, conversation }, options);
    const ref = (conversations.find((t) => t.id === v.id) as Target).ref;
    if (r && r.write !== 'none') writes.push({ ref, doc: r.doc, write: r.write });
    else if (force && current) writes.push({ ref, doc: current, write: 'update' });
    const announced = r?.announce ? conversationCreated(obs, r.doc) : undefined;
    if (announced) derived.push(announced);
  }
  return { writes, derived };
}
