/**
 * The transactional outbox of the subscribers (contacts: `contact_outbox`,
 * triggers: `trigger_runs`): an event's effect and the messages it causes are
 * committed together, and the messages go out after the commit, so a crash in
 * between loses nothing and does nothing twice.
 *
 *   workspaces/{ws}/{collection}/{event_id}
 *     { ...body, published: false, created_at, expire_at }   created in the transaction that applies the effect
 *     { published: true, published_at }                       after every message went out
 *
 *   delivery 1: tx(record absent -> decide, write the effect, create the record) -> send -> mark published
 *                                              a crash here leaves published=false ^
 *   delivery 2: tx finds the record -> nothing is decided again (even if what
 *               the decision read has changed) -> send again when not marked
 *
 * Every message a record sends is a pure function of the record (and of the
 * event it was committed for), with a deterministic id: a second send is
 * identical and downstream dedupes it. Publishing is at least once:
 * concurrent deliveries may each send a record that is not marked yet.
 *
 * When every delivery fails to send (a long Pub/Sub outage), the message
 * dead-letters and there is no delivery 2. The operator's recovery is a
 * replay (events-api): a new event whose `metadata.replay_of` names the
 * stranded one. `recover` sends what that event's record still holds, just as
 * its delivery 2 would have.
 *
 * An event whose decision is "nothing to publish" records nothing, so its
 * next delivery decides again: such an effect must be idempotent by itself.
 *
 * Where the subscribers differ, the options keep each one's way:
 *   contacts  records the derived envelopes themselves; `send` needs no context.
 *   triggers  records its decision (starts, resumes) and makes the messages from
 *             it and the event it was committed for (`send`'s context); marks its
 *             executions' starts with the record (`alsoWhenPublished`); stamps the
 *             record with the time its executions carry (`commit`'s `at`); and makes
 *             a recovered run the replay's own effect (`recover`'s `claim`).
 */
import {
  Timestamp,
  type DocumentData,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
  type UpdateData,
  type WriteBatch,
} from '@google-cloud/firestore';
import type { Envelope } from '../envelope';
import { expiryAfter } from '../event-log/config';
import { isAlreadyExists } from '../runtime/firestore-codes';

/** The fields the outbox keeps on every record, next to the subscriber's own body. */
export interface OutboxState {
  published: boolean;
  created_at: string;
  /** Firestore TTL deletes the record after the event log's retention: long past any redelivery. */
  expire_at: Timestamp;
  /**
   * On a replay's record claimed by `recover` (option `claim`): the replayed
   * event whose stranded record this replay sent instead of deciding for itself.
   */
  recovered_event_id?: string;
}

export type OutboxRecord<B> = B & OutboxState;

export interface OutboxOptions<B, C> {
  /** The collection under `workspaces/{ws}` (kept as it is: the records are read back by it). */
  collection: string;
  /** Days a record is kept (the event log's retention, EVENT_LOG_RETENTION_DAYS). */
  retentionDays: number;
  /** Sends a record's messages, each under its deterministic id. `context`: what else they are made of (triggers: the event). */
  send(record: OutboxRecord<B>, context: C): Promise<unknown>;
  /** More writes committed in one batch with the published mark (triggers: the executions' start_published). */
  alsoWhenPublished?(batch: WriteBatch, ws: string, record: OutboxRecord<B>, now: string): void;
}

/** What `decide` chose: the record to create with the effect (absent: nothing to publish, no record), and anything for the caller. */
export interface Decision<B, T> {
  record?: B;
  value?: T;
  /** How many writes `decide` made through the transaction; 0 with no record ends it without a commit round trip. */
  writes?: number;
}

/**
 * What `decide` writes through: the transaction, or (`createFirst`) a batch
 * committed without reading. Only these three, so a decision works with either.
 */
export interface Writes {
  create(ref: DocumentReference, data: DocumentData): unknown;
  update(ref: DocumentReference, data: UpdateData<DocumentData>): unknown;
  set(ref: DocumentReference, data: DocumentData): unknown;
}

/** Ends a transaction that wrote nothing: thrown out of it, so the SDK rolls back (not awaited) instead of committing. */
class NothingWritten<T> {
  constructor(readonly value: T | undefined) {}
}

export type Committed<B, T> =
  /** An earlier delivery recorded the event: `decide` did not run; the record may still be unpublished. */
  | { found: true; record: OutboxRecord<B> }
  /** Decided and committed now (`record` absent when the decision publishes nothing). */
  | { found: false; record: OutboxRecord<B> | undefined; value: T | undefined };

export function createOutbox<B extends object, C = void>(db: Firestore, options: OutboxOptions<B, C>) {
  /** The record of an event: its id is the event id, so every delivery of that event finds it. */
  const ref = (ws: string, eventId: string) => db.collection('workspaces').doc(ws).collection(options.collection).doc(eventId);
  const stamped = (body: B, at: Date, published: boolean): OutboxRecord<B> => ({
    ...body,
    published,
    created_at: at.toISOString(),
    expire_at: Timestamp.fromDate(expiryAfter(at, options.retentionDays)),
  });

  /** A plain read, no transaction: it changes nothing, and sending twice is harmless (same ids). */
  const unpublished = async (ws: string, eventId: string): Promise<OutboxRecord<B> | undefined> => {
    const record = (await ref(ws, eventId).get()).data() as OutboxRecord<B> | undefined;
    return record && !record.published ? record : undefined;
  };

  /** Create-if-absent, no transaction: a record, once written, never changes here. Returns the record as it stands. */
  const claimed = async (ws: string, replayId: string, body: B, recoveredEventId: string): Promise<OutboxRecord<B>> => {
    const own = ref(ws, replayId);
    const record: OutboxRecord<B> = { ...stamped(body, new Date(), true), recovered_event_id: recoveredEventId };
    try {
      await own.create(record);
      return record;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      return (await own.get()).data() as OutboxRecord<B>;
    }
  };

  /**
   * Sends a record that is not marked published and resolves once it is sent,
   * with the marking started: `marked` settles when it is committed (the caller
   * may do other work meanwhile, and must await it). Undefined (and nothing
   * sent) for a published record.
   */
  const send = async (ws: string, eventId: string, record: OutboxRecord<B>, context: C): Promise<{ marked: Promise<void> } | undefined> => {
    if (record.published) return undefined;
    await options.send(record, context);
    const now = new Date().toISOString();
    const batch = db.batch();
    batch.update(ref(ws, eventId), { published: true, published_at: now });
    options.alsoWhenPublished?.(batch, ws, record, now);
    return { marked: batch.commit().then(() => undefined) };
  };

  /** Sends a record that is not marked published, then marks it; false (and nothing sent) for a published one. */
  const publish = async (ws: string, eventId: string, record: OutboxRecord<B>, context: C): Promise<boolean> => {
    const sent = await send(ws, eventId, record, context);
    if (!sent) return false;
    await sent.marked;
    return true;
  };

  return {
    publish,
    send,

    /**
     * One transaction: reads the event's record with `reads` (undefined
     * entries are skipped and come back as undefined snapshots, in order).
     * When the record exists the event was applied before and `decide` is not
     * run. Otherwise `decide` writes the effect through `tx` and the record it
     * returns is created in the same commit. `at`: its created_at (now by default).
     *
     * `createFirst`: first decide as if neither the record nor any of `reads`
     * existed, and commit that decision as a batch without reading. Only for a
     * caller whose decision on missing documents writes nothing but `create`s:
     * if anything exists, a create fails the whole batch, and the transaction
     * decides on what is there, as without the option. One round trip instead of two.
     */
    async commit<T>(
      ws: string,
      eventId: string,
      reads: readonly (DocumentReference | undefined)[],
      decide: (tx: Writes, snapshots: (DocumentSnapshot | undefined)[]) => Decision<B, T>,
      at?: Date,
      options: { createFirst?: boolean } = {},
    ): Promise<Committed<B, T>> {
      const own = ref(ws, eventId);
      if (options.createFirst) {
        const batch = db.batch();
        const { record: body, value } = decide(
          batch,
          reads.map(() => undefined),
        );
        if (body) {
          const record = stamped(body, at ?? new Date(), false);
          batch.create(own, record);
          try {
            await batch.commit();
            return { found: false, record, value };
          } catch (err) {
            if (!isAlreadyExists(err)) throw err;
          }
        }
      }
      return db
        .runTransaction(async (tx): Promise<Committed<B, T>> => {
          const [snapshot, ...rest] = await tx.getAll(own, ...reads.filter((r): r is DocumentReference => r !== undefined));
          if (snapshot?.exists) return { found: true, record: snapshot.data() as OutboxRecord<B> };
          let next = 0;
          const decision = decide(
            tx,
            reads.map((r) => (r ? rest[next++] : undefined)),
          );
          const { record: body, value } = decision;
          if (!body && decision.writes === 0) throw new NothingWritten(value);
          if (!body) return { found: false, record: undefined, value };
          const record = stamped(body, at ?? new Date(), false);
          tx.create(own, record);
          return { found: false, record, value };
        })
        .catch((err: unknown) => {
          if (err instanceof NothingWritten) return { found: false, record: undefined, value: err.value as T | undefined };
          throw err;
        });
    },

    /**
     * For a replay: sends what the replayed event's delivery committed and never
     * published, as its redelivery would, and returns that record (undefined
     * when there is none: no replay, nothing recorded, or all sent). Only
     * replays pay the read. `context` is asked only when there is something to send.
     * `claim`: the recovered record IS the replay's effect. The replay's own
     * record is first created as this body, published, with
     * `recovered_event_id`, so no delivery of the replay decides for itself;
     * when an earlier delivery of the replay did decide for itself (nothing was
     * stranded then), that decision stands and nothing is recovered.
     */
    async recover(replay: Envelope, context: (replayedId: string) => C | Promise<C>, claim?: B): Promise<OutboxRecord<B> | undefined> {
      const replayedId = replay.metadata.replay_of;
      if (!replayedId) return undefined;
      const ws = replay.workspace_id;
      const stranded = await unpublished(ws, replayedId);
      if (!stranded) return undefined;
      if (claim && (await claimed(ws, replay.id, claim, replayedId)).recovered_event_id !== replayedId) return undefined;
      await publish(ws, replayedId, stranded, await context(replayedId));
      return stranded;
    },
  };
}

export type Outbox<B extends object, C = void> = ReturnType<typeof createOutbox<B, C>>;
