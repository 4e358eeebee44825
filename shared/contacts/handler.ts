/**
 * The contacts subscriber: upserts the contact and the conversation an event
 * is about, then publishes the envelopes that derives (crm.contact.created /
 * updated, messaging.conversation.created). See store.ts for the
 * transaction and the outbox that makes derived events crash-safe, and
 * reduce.ts for the ordering and write-budget rules.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { EnvelopeHandler } from '../consumer';
import type { Envelope } from '../envelope';
import { createEnvelopePublisher, type EnvelopePublisher } from '../envelope/publish';
import { getFirestore } from '../gcp';
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

  const handle: EnvelopeHandler = async (envelope, { log }) => {
    const obs = observe(envelope);
    // Not ours (including our own crm.contact.* events: no loop).
    if (!obs) return;
    const { store, publisher, config } = resolve();
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

    if (applied.pending.length > 0 && applied.outbox) {
      // Each id is deterministic: a re-publish after a crash dedupes downstream.
      await Promise.all(applied.pending.map((e) => publisher.publish(e)));
      await store.markPublished(applied.outbox);
      log.info('derived events published', { derived: applied.pending.map((e) => ({ id: e.id, type: e.type })) });
    }
  };

  return { handle, store: () => resolve().store };
}
