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
import { createEnvelopePublisher, type EnvelopePublisher } from '../envelope/publish';
import { getFirestore } from '../runtime/gcp';
import type { Logger } from '../runtime/log';
import { contactsConfig, type ContactsConfig } from './config';
import { redirectOf } from './merge';
import { namedIds, observe } from './observe';
import { hasRedirects } from './identity';
import { planEvent, StaleRedirect, type Target } from './plan';
import { contactsStore, envelopesOf, type ContactsStore, type OutboxEntry } from './store';

/** Merges are rare and each leaves one redirect: a few resolutions always suffice (the first follows none). */
const MAX_RESOLVE_ATTEMPTS = 6;
const MAX_REDIRECT_HOPS = 8;

/** Each id followed through redirects to the document it leads to now; distinct targets, the event's own first. */
async function resolveAll(store: ContactsStore, ids: string[], refOf: (id: string) => Target['ref'], follow: boolean): Promise<Target[]> {
  const out: Target[] = [];
  for (const start of ids) {
    let id = start;
    for (let hop = 0; follow && hop < MAX_REDIRECT_HOPS; hop++) {
      const into = redirectOf(await store.peek(refOf(id)));
      if (!into || into === id) break;
      id = into;
    }
    if (!out.some((t) => t.id === id)) out.push({ id, ref: refOf(id) });
  }
  return out;
}

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

    // The ids the event names (its own, and those of its other platform ids: merge.ts), each followed to where it
    // leads now; the transaction reads them again and starts over when a merge committed meanwhile.
    const { contactIds, conversationIds } = namedIds(obs);
    // Only platforms that name a person by two ids have redirects; the others read nothing more. Redirects are rare
    // (one per merge), so the first attempt reads the ids as they are: the transaction finds a redirect among them
    // (StaleRedirect) and the next attempt follows it, instead of every event paying a round trip of reads before.
    const redirects = hasRedirects(obs.platform);
    let entry: OutboxEntry | undefined;
    for (let attempt = 1; ; attempt++) {
      const follow = redirects && attempt > 1;
      const [contacts, conversations] = await Promise.all([
        resolveAll(store, contactIds, (id) => store.contactRef(ws, id), follow),
        resolveAll(store, conversationIds, (id) => store.conversationRef(ws, id), follow),
      ]);
      try {
        entry = await store.apply(ws, obs.event_id, [...contacts.map((t) => t.ref), ...conversations.map((t) => t.ref)], (docs) =>
          planEvent(
            obs,
            contacts.map((t, i) => ({ ...t, doc: docs[i] })),
            conversations.map((t, i) => ({ ...t, doc: docs[contacts.length + i] })),
            options,
          ),
        );
        break;
      } catch (err) {
        if (!(err instanceof StaleRedirect) || attempt >= MAX_RESOLVE_ATTEMPTS) throw err;
      }
    }

    // New, or left unpublished by an earlier attempt; nothing when an earlier attempt published it.
    if (entry && (await store.publish(ws, entry))) published(entry, log);
  };

  return { handle, store: () => resolve().store };
}
