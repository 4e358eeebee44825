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
 * envelopes (see store.ts and ../outbox/outbox.ts).
 */
import type { Firestore } from '@google-cloud/firestore';
import type { EnvelopeHandler } from '../runtime/consumer';
import type { Envelope } from '../envelope';
import { createEnvelopePublisher, type EnvelopePublisher } from '../envelope/publish';
import { getFirestore } from '../runtime/gcp';
import type { Logger } from '../runtime/log';
import { contactsConfig, type ContactsConfig } from './config';
import { contactCreated, contactUpdated, conversationCreated } from './derived';
import { observe } from './observe';
import { reduceContact, reduceConversation } from './reduce';
import { contactsStore, envelopesOf, type ContactsStore, type OutboxEntry, type Plan } from './store';

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
  let resolved: { store: ContactsStore; config: ContactsConfig } | undefined;
  const resolve = () => {
    if (!resolved) {
      const config = { ...contactsConfig(), ...deps.config };
      const publisher = deps.publisher ?? createEnvelopePublisher(config.eventsTopic);
      resolved = { config, store: contactsStore(deps.db ?? getFirestore(), config.retentionDays, publisher) };
    }
    return resolved;
  };

  /** After an outbox entry went out: for a first delivery, a redelivery and a replay. */
  const published = (entry: OutboxEntry, log: Logger): void => {
    log.info('derived events published', {
      source_event_id: entry.source_event_id,
      derived: envelopesOf(entry).map((e) => ({ id: e.id, type: e.type })),
    });
  };

  const handle: EnvelopeHandler = async (envelope, { log }) => {
    // For a replay: what the replayed event's delivery committed but never published, published now as its
    // redelivery would have. Before the type check: a replay made by the current normalizer may have another
    // type than the event it replays, whose outbox still counts. Only replays pay the read.
    const recovered = envelope.metadata.replay_of ? await resolve().store.recover(envelope) : undefined;
    if (recovered) published(recovered, log);
    const obs = observe(envelope);
    // Not ours (including our own crm.contact.* events: no loop).
    if (!obs) return;
    const { store, config } = resolve();
    const ws = obs.workspace_id;
    const now = new Date().toISOString();
    const options = { coalesceMs: config.coalesceMs, now };

    const entry = await store.apply(
      ws,
      obs.event_id,
      {
        contact: obs.contact && store.contactRef(ws, obs.contact.contact_id),
        conversation: obs.conversation && store.conversationRef(ws, obs.conversation.conversation_id),
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

    // New, or left unpublished by an earlier attempt; nothing when an earlier attempt published it.
    if (entry && (await store.publish(ws, entry))) published(entry, log);
  };

  return { handle, store: () => resolve().store };
}
