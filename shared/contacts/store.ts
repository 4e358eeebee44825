/**
 * Firestore access for the contacts subscriber: one transaction per event that
 * reads the contact, the conversation and the event's outbox entry, applies
 * the reducers and writes only what changed. Concurrent deliveries about the
 * same contact are serialized by the transaction (Firestore retries the loser
 * with fresh reads), so no update is lost.
 *
 * Outbox (crash safety of derived events, ../outbox/outbox.ts):
 *
 *   workspaces/{ws}/contact_outbox/{source_event_id}
 *     { source_event_id, envelopes: JSON, published: false, created_at, expire_at }   created in the same transaction
 *     { published: true, published_at }                                             after every envelope was published
 *
 * A redelivery finds the entry: nothing is re-applied, and the envelopes are
 * re-published if not yet published. A replay of an event every delivery of
 * which failed to publish re-publishes that event's entry just as its
 * redelivery would (`recover`, handler.ts); the replay itself then usually
 * derives nothing from a contact that already exists.
 *
 * Events that derive nothing write no outbox entry (most messages).
 */
import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import type { Envelope } from '../envelope';
import type { EnvelopePublisher } from '../envelope/publish';
import { createOutbox, type OutboxRecord, type Writes } from '../outbox/outbox';

interface OutboxBody {
  source_event_id: string;
  /** The derived envelopes, serialized once so a re-publish is identical. */
  envelopes: string;
}
export type OutboxEntry = OutboxRecord<OutboxBody>;

/** Document writes committed, by collection (for the write-budget test and metrics). */
export interface WriteCounts {
  contacts: number;
  conversations: number;
  outbox: number;
}

/** One document write of a plan: a contact, a conversation, or a redirect left by a merge (merge.ts). */
export interface DocWrite {
  ref: DocumentReference;
  doc: object;
  write: 'create' | 'update';
}

export interface Plan {
  writes: DocWrite[];
  derived: Envelope[];
}

/** The envelopes an outbox entry holds. */
export const envelopesOf = (entry: OutboxEntry): Envelope[] => JSON.parse(entry.envelopes) as Envelope[];

/** `retentionDays`: how long outbox entries are kept (the event log's retention). `publisher`: where derived envelopes go. */
export function contactsStore(db: Firestore, retentionDays: number, publisher: EnvelopePublisher) {
  const counts: WriteCounts = { contacts: 0, conversations: 0, outbox: 0 };
  const workspace = (ws: string) => db.collection('workspaces').doc(ws);
  const outbox = createOutbox<OutboxBody>(db, {
    collection: 'contact_outbox',
    retentionDays,
    // Each id is deterministic: a re-publish after a crash dedupes downstream.
    send: (entry) => Promise.all(envelopesOf(entry).map((e) => publisher.publish(e))),
  });
  const write = (tx: Writes, w: DocWrite) => {
    if (w.write === 'create') tx.create(w.ref, w.doc);
    else tx.set(w.ref, w.doc);
  };

  return {
    counts,
    contactRef: (ws: string, id: string) => workspace(ws).collection('contacts').doc(id),
    conversationRef: (ws: string, id: string) => workspace(ws).collection('conversations').doc(id),

    /** A document as stored now, outside any transaction (to follow redirects before the transaction reads them again). */
    async peek(ref: DocumentReference): Promise<Record<string, unknown> | undefined> {
      const snapshot = await ref.get();
      return snapshot.exists ? (snapshot.data() as Record<string, unknown>) : undefined;
    },

    /**
     * Runs `decide` on the stored documents `reads` (undefined: not read, and
     * undefined for decide, as a missing document) inside a transaction and
     * commits its plan with the outbox entry of `eventId`, which it returns
     * (undefined when the plan derives nothing). When the entry already exists
     * the event was applied before: `decide` is not run, and the entry is
     * returned as stored. `decide` may throw to abort (nothing is written).
     */
    async apply(
      ws: string,
      eventId: string,
      reads: readonly (DocumentReference | undefined)[],
      decide: (docs: (Record<string, unknown> | undefined)[]) => Plan,
    ): Promise<OutboxEntry | undefined> {
      const result = await outbox.commit(ws, eventId, reads, (tx, snapshots) => {
        const plan = decide(snapshots.map((s) => (s?.exists ? (s.data() as Record<string, unknown>) : undefined)));
        for (const w of plan.writes) write(tx, w);
        const record = plan.derived.length > 0 ? { source_event_id: eventId, envelopes: JSON.stringify(plan.derived) } : undefined;
        return { record, value: plan, writes: plan.writes.length };
      });
      // Counted after the commit: a transaction attempt that was retried wrote nothing.
      if (!result.found && result.value) {
        for (const w of result.value.writes) {
          if (w.ref.parent.id === 'contacts') counts.contacts++;
          else if (w.ref.parent.id === 'conversations') counts.conversations++;
        }
        if (result.record) counts.outbox++;
      }
      return result.record;
    },

    /** Publishes an entry's envelopes unless it is marked published, then marks it; whether it did. */
    async publish(ws: string, entry: OutboxEntry): Promise<boolean> {
      const published = await outbox.publish(ws, entry.source_event_id, entry, undefined);
      if (published) counts.outbox++;
      return published;
    },

    /** For a replay: the entry of the replayed event, published now if it never was (outbox.recover); undefined when nothing was. */
    async recover(replay: Envelope): Promise<OutboxEntry | undefined> {
      const entry = await outbox.recover(replay, () => undefined);
      if (entry) counts.outbox++;
      return entry;
    },
  };
}

export type ContactsStore = ReturnType<typeof contactsStore>;
