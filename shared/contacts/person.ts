/**
 * The contact ids of one person, for readers outside the contacts subscriber
 * (a Wait for Reply resume in shared/triggers, the event log's contact filter
 * in shared/events-api). An event keeps the contact id its payload derived,
 * and a merge or a second id of the same person (identity.ts: WhatsApp's phone
 * number and BSUID, Messenger's PSID and user_ref, an identity change) leaves that id as a redirect (`merged_into`,
 * merge.ts) to the surviving contact. So "this person" is the survivor and
 * every id whose redirects lead to it. Read-only: the contacts subscriber
 * alone writes these documents.
 */
import type { Firestore } from '@google-cloud/firestore';
import { redirectOf } from './merge';

/** Platforms that name one person by two ids, and so have redirects: identity.ts says which. */
export { hasRedirects } from './identity';

/** Firestore's `in` filter takes at most 30 values; a person has a handful of ids. */
export const MAX_PERSON_IDS = 30;
const MAX_REDIRECT_HOPS = 8;

/**
 * `id`'s person in `collection` (contacts, or conversations for 1:1 threads,
 * which are merged alongside): the surviving id first, then every other id
 * leading to it (`id` among them), at most MAX_PERSON_IDS. Two reads for an
 * id that was never merged (its document and an empty query).
 */
async function sameIds(db: Firestore, workspaceId: string, collection: 'contacts' | 'conversations', id: string): Promise<string[]> {
  const docs = db.collection('workspaces').doc(workspaceId).collection(collection);
  const ids = [id];
  for (let hop = 0; hop < MAX_REDIRECT_HOPS; hop++) {
    const into = redirectOf((await docs.doc(ids[0] as string).get()).data());
    if (!into || ids.includes(into)) break;
    ids.unshift(into);
  }
  // A redirect names the document it landed on then, which may itself have been merged since: walk back level by level.
  for (let i = 0; i < ids.length && ids.length < MAX_PERSON_IDS; i++) {
    const leading = await docs
      .where('merged_into', '==', ids[i] as string)
      .select()
      .get();
    for (const d of leading.docs) if (!ids.includes(d.id)) ids.push(d.id);
  }
  return ids.slice(0, MAX_PERSON_IDS);
}

/** Every contact id of `contactId`'s person, the surviving one first. */
export function personContactIds(db: Firestore, workspaceId: string, contactId: string): Promise<string[]> {
  return sameIds(db, workspaceId, 'contacts', contactId);
}

/** Every id of a 1:1 conversation merged with `conversationId`'s, the surviving one first. */
export function sameConversationIds(db: Firestore, workspaceId: string, conversationId: string): Promise<string[]> {
  return sameIds(db, workspaceId, 'conversations', conversationId);
}
