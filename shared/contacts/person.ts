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
import type { Envelope } from '../envelope';
import { redirectOf } from './merge';
import { namedIds, observe, type NamedIds } from './observe';

/** Platforms that name one person by two ids, and so have redirects: identity.ts says which. */
export { hasRedirects } from './identity';

/** Firestore's `in` filter takes at most 30 values; a person has a handful of ids. */
export const MAX_PERSON_IDS = 30;
const MAX_REDIRECT_HOPS = 8;

/**
 * The person of `named` in `collection` (contacts, or conversations for 1:1
 * threads, which are merged alongside): the named ids, where their redirects
 * lead, and every other id leading there, at most MAX_PERSON_IDS; a survivor
 * before the ids leading to it. Reads a level at a time, whatever the number
 * of ids: for ids never merged, one batched document read and one empty query.
 */
async function sameIds(
  db: Firestore,
  workspaceId: string,
  collection: 'contacts' | 'conversations',
  named: readonly string[],
): Promise<string[]> {
  const docs = db.collection('workspaces').doc(workspaceId).collection(collection);
  const ids = [...new Set(named)];
  if (ids.length === 0) return [];
  for (let hop = 0, ahead = ids; hop < MAX_REDIRECT_HOPS && ahead.length > 0; hop++) {
    const snapshots = await db.getAll(...ahead.map((id) => docs.doc(id)));
    const into = snapshots.map((s) => redirectOf(s.data())).filter((id): id is string => !!id && !ids.includes(id));
    ahead = [...new Set(into)];
    ids.unshift(...ahead);
  }
  // A redirect names the document it landed on then, which may itself have been merged since: walk back level by level.
  for (let level = ids; level.length > 0 && ids.length < MAX_PERSON_IDS;) {
    const leading = await docs.where('merged_into', 'in', level.slice(0, MAX_PERSON_IDS)).select().get();
    level = leading.docs.map((d) => d.id).filter((id) => !ids.includes(id));
    ids.push(...level);
  }
  return ids.slice(0, MAX_PERSON_IDS);
}

/** Every contact id of `contactId`'s person, the surviving one first. */
export function personContactIds(db: Firestore, workspaceId: string, contactId: string): Promise<string[]> {
  return sameIds(db, workspaceId, 'contacts', [contactId]);
}

/**
 * Every contact id and 1:1 conversation id of the person an envelope names (observe.ts namedIds): its own ids and those
 * its person's other platform ids derive (WhatsApp's phone number beside the BSUID, Messenger's user_ref in a reply's
 * prior_message), each widened through the redirects. So a reply finds the person under the ids it names before the
 * contacts subscriber has tied them together, and under older ones after. Nothing for an event contacts does not read.
 */
export async function personOfEnvelope(db: Firestore, envelope: Envelope): Promise<NamedIds> {
  const obs = observe(envelope);
  if (!obs) return { contactIds: [], conversationIds: [] };
  const named = namedIds(obs);
  const [contactIds, conversationIds] = await Promise.all([
    sameIds(db, obs.workspace_id, 'contacts', named.contactIds),
    sameIds(db, obs.workspace_id, 'conversations', named.conversationIds),
  ]);
  return { contactIds, conversationIds };
}
