/**
 * The envelopes the contacts subscriber derives. Their ids are
 * deterministic in the source event (eventId with the source event id as the
 * raw id), and their content depends only on what the source event changed,
 * so a re-publish after a crash is byte-for-byte the same message and every
 * downstream consumer dedupes it by id. They carry the source event's
 * causation chain (causation.ts), so loop prevention sees through contacts.
 */
import { eventId, type Envelope, type EnvelopeOf } from '../envelope';
import type { ContactRecord } from '../envelope/parts';
import type { ContactDoc, ConversationDoc } from './model';
import { PROFILE_FIELDS } from './model';
import type { Observation } from './observe';

function derivedEnvelope<K extends Envelope['type']>(obs: Observation, type: K, data: EnvelopeOf<K>['data']): EnvelopeOf<K> {
  return {
    id: eventId({ platform: obs.platform, blockId: obs.block_id, type, rawId: obs.event_id }),
    type,
    workspace_id: obs.workspace_id,
    block_id: obs.block_id,
    platform: obs.platform,
    // The time of what caused it: deterministic, so a re-publish is identical.
    timestamp: obs.timestamp,
    data,
    metadata: { raw_platform_event_id: obs.event_id, source: 'derived', caused_by_event_id: obs.event_id, ...obs.causation },
  } as EnvelopeOf<K>;
}

export function contactRecord(doc: ContactDoc): ContactRecord {
  const record: ContactRecord = { block_id: doc.block_id, platform: doc.platform, platform_user_id: doc.platform_user_id };
  for (const field of PROFILE_FIELDS) if (doc[field] !== undefined) record[field] = doc[field];
  if (doc.subscribed !== undefined) record.subscribed = doc.subscribed;
  return record;
}

export function contactCreated(obs: Observation, doc: ContactDoc): Envelope {
  return derivedEnvelope(obs, 'crm.contact.created', { contact_id: doc.contact_id, contact: contactRecord(doc) });
}

export function contactUpdated(obs: Observation, doc: ContactDoc, changedFields: string[]): Envelope {
  return derivedEnvelope(obs, 'crm.contact.updated', {
    contact_id: doc.contact_id,
    contact: contactRecord(doc),
    changed_fields: changedFields,
  });
}

export function conversationCreated(obs: Observation, doc: ConversationDoc): Envelope | undefined {
  if (!doc.platform_conversation_id || !doc.kind) return undefined;
  return derivedEnvelope(obs, 'messaging.conversation.created', {
    conversation_id: doc.conversation_id,
    conversation: { platform_conversation_id: doc.platform_conversation_id, kind: doc.kind, ...(doc.title ? { title: doc.title } : {}) },
    ...(doc.contact_id ? { contact_id: doc.contact_id } : {}),
  });
}

/**
 * Two contacts of one person were merged (merge.ts). Its id hashes the merged
 * contact, not the event that found out: however many events (or redeliveries)
 * could have found it, there is one crm.contact.merged per merged contact.
 */
export function contactMerged(obs: Observation, survivorId: string, mergedId: string): Envelope {
  const env = derivedEnvelope(obs, 'crm.contact.merged', { contact_id: survivorId, merged_contact_ids: [mergedId] });
  return { ...env, id: eventId({ platform: obs.platform, blockId: obs.block_id, type: 'crm.contact.merged', rawId: `merge:${mergedId}` }) };
}
