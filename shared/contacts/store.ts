/**
 * Firestore access for the contacts subscriber: one transaction per event that
 * reads the contact, the conversation and the event's outbox entry, applies
 * the reducers and writes only what changed. Concurrent deliveries about the
 * same contact are serialized by the transaction (Firestore retries the loser
 * with fresh reads), so no update is lost.
 *
 * Outbox (crash safety of derived events):
 *
 *   workspaces/{ws}/contact_outbox/{source_event_id}
 *     { envelopes: JSON, published: false }   created in the same transaction
 *     { published: true }                     after every envelope was published
 *
 *   delivery 1: tx(apply + create outbox) -> publish -> mark published
 *               ^ crash anywhere after the commit leaves published=false
 *   delivery 2: tx sees the outbox entry -> the event was applied already, so
 *               nothing is re-applied -> re-publish if not yet published
 *
 * When every delivery fails to publish (a long Pub/Sub outage), the message
 * dead-letters and there is no delivery 2. The operator's recovery is a
 * replay (events-api): a new event whose `metadata.replay_of` names this one.
 * Its handling reads this entry with `unpublished` and re-publishes it just
 * as delivery 2 would (handler.ts), since the replay itself derives nothing
 * from a contact that already exists.
 *
 * Events that derive nothing write no outbox entry (most messages).
 */
import { Timestamp, type DocumentReference, type Firestore } from '@google-cloud/firestore';
import { expiryAfter } from '../event-log/config';
import type { Envelope } from '../envelope';
import type { ContactDoc, ConversationDoc } from './model';

export interface OutboxEntry {
  source_event_id: string;
  /** The derived envelopes, serialized once so a re-publish is identical. */
  envelopes: string;
  published: boolean;
  created_at: string;
  /** Firestore TTL deletes the record after the event log's retention: long past any redelivery. */
  expire_at: Timestamp;
}

/** Document writes committed, by collection (for the write-budget test and metrics). */
export interface WriteCounts {
  contacts: number;
  conversations: number;
  outbox: number;
}

export interface Applied {
  /** Envelopes still to publish (new, or left unpublished by an earlier attempt). */
  pending: Envelope[];
  outbox: DocumentReference | undefined;
}

export interface Plan {
  contact?: { doc: ContactDoc; write: 'create' | 'update' | 'none' };
  conversation?: { doc: ConversationDoc; write: 'create' | 'update' | 'none' };
  derived: Envelope[];
}

/** What an outbox entry still has to publish: its envelopes until they were all published, then nothing. */
function pendingOf(entry: OutboxEntry): Envelope[] {
  return entry.published ? [] : (JSON.parse(entry.envelopes) as Envelope[]);
}

/** `retentionDays`: how long outbox entries are kept (the event log's retention). */
export function contactsStore(db: Firestore, retentionDays: number) {
  const counts: WriteCounts = { contacts: 0, conversations: 0, outbox: 0 };
  const workspace = (ws: string) => db.collection('workspaces').doc(ws);

  return {
    counts,
    contactRef: (ws: string, id: string) => workspace(ws).collection('contacts').doc(id),
    conversationRef: (ws: string, id: string) => workspace(ws).collection('conversations').doc(id),
    outboxRef: (ws: string, sourceEventId: string) => workspace(ws).collection('contact_outbox').doc(sourceEventId),

    /**
     * Runs `decide` on the stored documents inside a transaction and commits
     * its plan with the outbox entry. When the outbox entry already exists the
     * event was applied before: `decide` is not run, and the entry's envelopes
     * are returned if they were never published.
     */
    async apply(
      refs: { contact?: DocumentReference; conversation?: DocumentReference; outbox: DocumentReference },
      decide: (contact: ContactDoc | undefined, conversation: ConversationDoc | undefined) => Plan,
    ): Promise<Applied> {
      let committed: Plan | undefined;
      const result = await db.runTransaction(async (tx): Promise<Applied> => {
        committed = undefined;
        const wanted = [refs.outbox, refs.contact, refs.conversation].filter((r): r is DocumentReference => r !== undefined);
        const snapshots = await tx.getAll(...wanted);
        const byPath = new Map(snapshots.map((s) => [s.ref.path, s]));
        const outbox = byPath.get(refs.outbox.path);
        if (outbox?.exists) return { pending: pendingOf(outbox.data() as OutboxEntry), outbox: refs.outbox };
        const contact = refs.contact ? (byPath.get(refs.contact.path)?.data() as ContactDoc | undefined) : undefined;
        const conversation = refs.conversation ? (byPath.get(refs.conversation.path)?.data() as ConversationDoc | undefined) : undefined;
        const plan = decide(contact, conversation);
        const write = (ref: DocumentReference | undefined, change: Plan['contact'] | Plan['conversation']) => {
          if (!ref || !change || change.write === 'none') return;
          if (change.write === 'create') tx.create(ref, change.doc);
          else tx.set(ref, change.doc);
        };
        write(refs.contact, plan.contact);
        write(refs.conversation, plan.conversation);
        if (plan.derived.length > 0) {
          const now = new Date();
          const entry: OutboxEntry = {
            source_event_id: refs.outbox.id,
            envelopes: JSON.stringify(plan.derived),
            published: false,
            created_at: now.toISOString(),
            expire_at: Timestamp.fromDate(expiryAfter(now, retentionDays)),
          };
          tx.create(refs.outbox, entry);
        }
        committed = plan;
        return { pending: plan.derived, outbox: plan.derived.length > 0 ? refs.outbox : undefined };
      });
      // Counted after the commit: a transaction attempt that was retried wrote nothing.
      if (committed) {
        const plan: Plan = committed;
        if (plan.contact && plan.contact.write !== 'none') counts.contacts++;
        if (plan.conversation && plan.conversation.write !== 'none') counts.conversations++;
        if (plan.derived.length > 0) counts.outbox++;
      }
      return result;
    },

    /**
     * The envelopes an event's outbox entry holds and has not marked published;
     * none when the event derived nothing or they all went out. A plain read, no
     * transaction: it changes nothing, and publishing twice is harmless (same ids).
     */
    async unpublished(outbox: DocumentReference): Promise<Envelope[]> {
      const snapshot = await outbox.get();
      return snapshot.exists ? pendingOf(snapshot.data() as OutboxEntry) : [];
    },

    async markPublished(outbox: DocumentReference): Promise<void> {
      await outbox.update({ published: true, published_at: new Date().toISOString() });
      counts.outbox++;
    },
  };
}

export type ContactsStore = ReturnType<typeof contactsStore>;
