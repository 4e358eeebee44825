/**
 * What one envelope tells the contacts subscriber: the contact it is about
 * (identity, profile, activity, subscription) and the conversation (identity,
 * message direction, close). The lookup table below is the one place that
 * says which event types matter; everything else is acknowledged untouched.
 */
import type { Envelope, EventType } from '../envelope';
import { contactId, conversationId } from '../envelope/ids';
import type { ChannelContact, ChannelConversation } from '../envelope/parts';
import { isPlatform, type Platform } from '../platforms';
import { causationOf, type Causation } from './causation';
import { otherIds } from './identity';
import { PROFILE_FIELDS, type ProfileField } from './model';

export type Activity = 'inbound' | 'outbound' | 'seen' | 'none';

export interface ContactObservation {
  contact_id: string;
  platform_user_id: string;
  profile: Partial<Record<ProfileField, string>>;
  /** inbound/outbound: a message; seen: the contact did something else (tap, reaction, read). */
  activity: Activity;
  /** true = follow, false = unfollow. */
  subscribed?: boolean;
  /**
   * Other platform user ids the event names for the same person (identity.ts): on WhatsApp,
   * the phone number when the contact is keyed by a BSUID; on Messenger, a user_ref beside the PSID. Each derives a
   * contact id (and a 1:1 conversation id) that must lead to this contact (merge.ts).
   */
  aliases?: string[];
}

export interface ConversationObservation {
  conversation_id: string;
  /** Absent when the event names the thread without describing it (a close). */
  identity?: ChannelConversation;
  contact_id?: string;
  activity: Activity;
  close?: boolean;
}

export interface Observation {
  event_id: string;
  workspace_id: string;
  block_id: string;
  platform: Platform;
  /** The event's platform time, in ms and as given. */
  at: number;
  timestamp: string;
  /** The event's causation chain, handed on to what it derives. */
  causation: Causation;
  contact?: ContactObservation;
  conversation?: ConversationObservation;
}

/** How each handled type counts as activity; types not listed are ignored. */
const ACTIVITY: Partial<Record<EventType, Activity>> = {
  'messaging.message.received': 'inbound',
  'messaging.story_reply.received': 'inbound',
  'messaging.message.edited': 'inbound',
  'messaging.message.sent': 'outbound',
  'messaging.message.delivered': 'none',
  'messaging.message.failed': 'none',
  'messaging.message.read': 'seen',
  'messaging.message.deleted': 'seen',
  'messaging.postback': 'seen',
  'messaging.reaction.added': 'seen',
  'messaging.reaction.removed': 'seen',
  'messaging.referral.received': 'seen',
  'messaging.optin.received': 'seen',
  'messaging.beacon.detected': 'seen',
  'messaging.follow': 'seen',
  'messaging.unfollow': 'none',
  'messaging.comment.created': 'seen',
  'messaging.conversation.closed': 'none',
  'messaging.contact.identity_changed': 'none',
};

export function handles(type: EventType): boolean {
  return ACTIVITY[type] !== undefined;
}

function profileOf(contact: ChannelContact): Partial<Record<ProfileField, string>> {
  const profile: Partial<Record<ProfileField, string>> = {};
  for (const field of PROFILE_FIELDS) {
    const value = contact[field];
    if (typeof value === 'string' && value.length > 0) profile[field] = value;
  }
  return profile;
}

/** The observation an envelope makes, or undefined when the contacts subscriber has nothing to do with it. */
export function observe(envelope: Envelope): Observation | undefined {
  const activity = ACTIVITY[envelope.type];
  if (activity === undefined) return undefined;
  const at = Date.parse(envelope.timestamp);
  const base = {
    event_id: envelope.id,
    workspace_id: envelope.workspace_id,
    at,
    timestamp: envelope.timestamp,
    causation: causationOf(envelope.metadata),
  };

  if (envelope.type === 'messaging.conversation.closed') {
    // Closing comes from an agent or a service: no Block need be named.
    return {
      ...base,
      block_id: envelope.block_id ?? '',
      platform: isPlatform(envelope.platform) ? envelope.platform : ('' as Platform),
      conversation: { conversation_id: envelope.data.conversation_id, contact_id: envelope.data.contact_id, activity: 'none', close: true },
    };
  }
  // Every other handled type comes from a platform webhook through a Block.
  if (envelope.block_id === null || !isPlatform(envelope.platform)) return undefined;
  const scoped = { ...base, block_id: envelope.block_id, platform: envelope.platform };

  const data = envelope.data as {
    contact_id: string;
    contact: ChannelContact;
    conversation_id?: string;
    conversation?: ChannelConversation;
  };
  const contact: ContactObservation = {
    contact_id: data.contact_id,
    platform_user_id: data.contact.platform_user_id,
    profile: profileOf(data.contact),
    activity,
    ...aliasesOf(envelope.platform, data.contact, envelope.metadata.platform_detail, previousIds(envelope)),
    ...(envelope.type === 'messaging.follow' ? { subscribed: true } : envelope.type === 'messaging.unfollow' ? { subscribed: false } : {}),
  };
  const conversation: ConversationObservation | undefined =
    data.conversation_id && data.conversation
      ? { conversation_id: data.conversation_id, identity: data.conversation, contact_id: data.contact_id, activity }
      : undefined;
  return { ...scoped, contact, ...(conversation ? { conversation } : {}) };
}

/** Contact and conversation ids, the event's own first. */
export interface NamedIds {
  contactIds: string[];
  conversationIds: string[];
}

/**
 * The contact and conversation ids an observation names: its own, then those its person's other platform ids derive
 * (a conversation's only for a 1:1 thread). The contacts subscriber makes each lead to one contact (merge.ts); a Wait for
 * Reply looks under them all, also before that (person.ts).
 */
export function namedIds(obs: Observation): NamedIds {
  const aliases = obs.contact?.aliases ?? [];
  const derived = (derive: typeof contactId) => aliases.map((a) => derive(obs.workspace_id, obs.block_id, a));
  const direct = obs.conversation?.identity?.kind === 'direct';
  return {
    contactIds: obs.contact ? [obs.contact.contact_id, ...derived(contactId)] : [],
    conversationIds: obs.conversation ? [obs.conversation.conversation_id, ...(direct ? derived(conversationId) : [])] : [],
  };
}

/** An identity change's old ids: they must lead to the contact the new ids name. */
function previousIds(envelope: Envelope): string[] {
  return envelope.type === 'messaging.contact.identity_changed' ? envelope.data.previous.platform_user_ids : [];
}

/** The person's other ids the event names (identity.ts): each must lead to this contact (merge.ts). */
function aliasesOf(
  platform: Platform,
  contact: ChannelContact,
  detail: Record<string, unknown> | undefined,
  previous: string[],
): { aliases?: string[] } {
  const aliases = otherIds(platform, contact, detail, previous);
  return aliases.length > 0 ? { aliases } : {};
}
