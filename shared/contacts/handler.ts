/**
 * The contacts subscriber: upserts the contact and the conversation an event
 * is about, then publishes the envelopes that derives (crm.contact.created /
 * updated, messaging.conversation.created). See store.ts for the
 * transaction and the outbox that makes derived events crash-safe, and
 * reduce.ts for the ordering and write-budget rules.
 *
 * A replay of an event (events-api, `metadata.replay_of`) first publishes
 * what that event's own delivery committed and never published: when every
 * delivery of it failed to publish, the replay is the only way out for those
 * envelopes (see store.ts).
 */
import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import type { EnvelopeHandler } from '../consumer';
import type { Envelope } from '../envelope';
import { createEnvelopePublisher, type EnvelopePublisher } from '../envelope/publish';
import { getFirestore } from '../gcp';
import type { Logger } from '../log';
import { contactsConfig, type ContactsConfig } from './config';
import { contactCreated, contactUpdated, conversationCreated } from './derived';
import { observe } from './observe';
import { reduceContact, reduceConversation } from './reduce';
import { contactsStore, type ContactsStore, type Plan } from './store';

export interface ContactsDeps {
  db?: Firestore;
  publisher?: EnvelopePublisher;
  config?: Partial<ContactsConfig>;
}

export interface ContactsService {
  handle: EnvelopeHandler;
  /** The repository (its write counters), once the first event created it. */
  store(): ContactsStore;
}

/** Dependencies are resolved on the first event, so tests and the local stack can set the environment first. */
export function createContactsService(deps: ContactsDeps = {}): ContactsService {
  let resolved: { store: ContactsStore; publisher: EnvelopePublisher; config: ContactsConfig } | undefined;
  const resolve = () => {
    if (!resolved) {
      const config = { ...contactsConfig(), ...deps.config };
      resolved = {
        config,
        store: contactsStore(deps.db ?? getFirestore(), config.retentionDays),
        publisher: deps.publisher ?? createEnvelopePublisher(config.eventsTopic),
      };
    }
    return resolved;
  };

  /**
   * Publishes an outbox entry's pending envelopes, then marks the entry: the
   * one way derived events go out, for a first delivery, a redelivery and a replay.
   */
  const publishPending = async (pending: Envelope[], outbox: DocumentReference, log: Logger): Promise<void> => {
    const { store, publisher } = resolve();
    // Each id is deterministic: a re-publish after a crash dedupes downstream.
    await Promise.all(pending.map((e) => publisher.publish(e)));
    await store.markPublished(outbox);
    log.info('derived events published', { source_event_id: outbox.id, derived: pending.map((e) => ({ id: e.id, type: e.type })) });
  };

  /**
   * For a replay: what the replayed event's delivery committed but never
   * published, published now as its redelivery would have. Only replays pay the read.
   */
  const publishReplayedOutbox = async (envelope: Envelope, log: Logger): Promise<void> => {
    const replayedId = envelope.metadata.replay_of;
    if (!replayedId) return;
    const { store } = resolve();
    const outbox = store.outboxRef(envelope.workspace_id, replayedId);
    const pending = await store.unpublished(outbox);
    if (pending.length > 0) await publishPending(pending, outbox, log);
  };

  const handle: EnvelopeHandler = async (envelope, { log }) => {
    // Before the type check: a replay made by the current normalizer may have
    // another type than the event it replays, whose outbox still counts.
    await publishReplayedOutbox(envelope, log);
    const obs = observe(envelope);
    // Not ours (including our own crm.contact.* events: no loop).
    if (!obs) return;
    const { store, config } = resolve();
    const ws = obs.workspace_id;
    const now = new Date().toISOString();
    const options = { coalesceMs: config.coalesceMs, now };

    const applied = await store.apply(
      {
        contact: obs.contact && store.contactRef(ws, obs.contact.contact_id),
        conversation: obs.conversation && store.conversationRef(ws, obs.conversation.conversation_id),
        outbox: store.outboxRef(ws, obs.event_id),
      },
      (contact, conversation): Plan => {
        const c = reduceContact(contact, obs, options);
        const v = reduceConversation(conversation, obs, options);
        const derived: Envelope[] = [];
        if (c?.write === 'create') derived.push(contactCreated(obs, c.doc));
        else if (c && c.changedFields.length > 0) derived.push(contactUpdated(obs, c.doc, c.changedFields));
        const announced = v?.announce ? conversationCreated(obs, v.doc) : undefined;
        if (announced) derived.push(announced);
        return { contact: c, conversation: v, derived };
      },
    );

    if (applied.pending.length > 0 && applied.outbox) await publishPending(applied.pending, applied.outbox, log);
  };

  return { handle, store: () => resolve().store };
}
