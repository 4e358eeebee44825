/**
 * The contact and conversation documents the contacts subscriber keeps:
 *
 *   workspaces/{ws}/contacts/{contact_id}
 *   workspaces/{ws}/conversations/{conversation_id}
 *
 * Every piece of state carries the platform timestamp of the event that set
 * it (`*_at` fields), so a late event can be compared with what it would
 * overwrite and lose when it is older. Wall-clock bookkeeping (`created_at`,
 * `updated_at`) is for people, never for ordering.
 *
 * A document with `merged_into` is not a record but a redirect (merge.ts): the
 * id of a contact or conversation merged into another, or another id of the
 * same person, leading to the survivor. Readers of the collections skip them.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ConversationKind, PlatformName } from '../envelope/parts';

/** Profile fields a payload may carry (ChannelContact minus identity), in ContactRecord's names. */
export const PROFILE_FIELDS = ['display_name', 'first_name', 'last_name', 'username', 'language_code', 'phone'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

const Iso = (description: string) => Type.String({ description });
const OptIso = (description: string) => Type.Optional(Iso(description));
const OptString = Type.Optional(Type.String());

export const ContactDoc = Type.Object({
  contact_id: Type.String(),
  workspace_id: Type.String(),
  block_id: Type.String(),
  platform: PlatformName,
  platform_user_id: Type.String(),
  display_name: OptString,
  first_name: OptString,
  last_name: OptString,
  username: OptString,
  language_code: OptString,
  phone: OptString,
  profile_at: Type.Record(Type.String(), Type.String(), { description: 'Per profile field: the platform time of the event that set it.' }),
  subscribed: Type.Optional(Type.Boolean({ description: 'From follow / unfollow; absent until one arrives.' })),
  subscription_at: OptIso('Platform time of the follow/unfollow that set `subscribed`.'),
  first_seen_at: Iso('Earliest platform time of any event about the contact.'),
  last_seen_at: OptIso('Latest time the contact did something (message, tap, reaction, read...), coalesced.'),
  last_inbound_at: OptIso('Latest inbound message, coalesced.'),
  last_outbound_at: OptIso('Latest outbound message, coalesced.'),
  created_by_event_id: Type.String(),
  created_at: Iso('Wall clock.'),
  updated_at: Iso('Wall clock.'),
});
export type ContactDoc = Static<typeof ContactDoc>;

export const ConversationDoc = Type.Object({
  conversation_id: Type.String(),
  workspace_id: Type.String(),
  /** Identity: absent on a stub made by a close that arrived before any message of the thread. */
  block_id: Type.Optional(Type.String()),
  platform: Type.Optional(PlatformName),
  platform_conversation_id: OptString,
  kind: Type.Optional(ConversationKind),
  title: OptString,
  title_at: OptIso('Platform time of the event that set `title`.'),
  contact_id: Type.Optional(Type.String({ description: 'The contact of a direct (1:1) thread; absent for groups and rooms.' })),
  status: Type.Union([Type.Literal('open'), Type.Literal('closed')], {
    description: 'closed while the latest close is newer than the latest inbound message (an inbound message at the same time wins).',
  }),
  closed_at: OptIso('Platform time of the latest messaging.conversation.closed.'),
  first_event_at: Iso('Earliest platform time of any event in the thread.'),
  last_message_at: OptIso('Latest message either way, coalesced.'),
  last_inbound_at: OptIso('Latest inbound message, coalesced.'),
  last_outbound_at: OptIso('Latest outbound message, coalesced.'),
  /** Whether messaging.conversation.created was derived (needs the identity). */
  announced: Type.Boolean(),
  created_by_event_id: Type.String(),
  created_at: Iso('Wall clock.'),
  updated_at: Iso('Wall clock.'),
});
export type ConversationDoc = Static<typeof ConversationDoc>;
