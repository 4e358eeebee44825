/**
 * Test envelope builder: valid envelopes of the messaging (and a few other)
 * types, built with the registry's types and ids and checked with
 * assertEnvelope, so a test can never feed a consumer something the
 * normalizer could not have produced. Reusable by any consumer's tests.
 *
 *   const b = testEnvelopes({ workspaceId: 'ws_x', blockId: 'blk_ig', platform: 'instagram' });
 *   b.message({ user: 'u1', text: 'Hi', at: '2026-03-31T10:00:00.000Z' });
 *
 * Ids follow shared/envelope/ids.ts: the same arguments give the same event id
 * (a redelivery), `rawId` makes a different event.
 */
import {
  assertEnvelope,
  contactId,
  conversationId,
  eventId,
  messageId,
  type Envelope,
  type EnvelopeMetadata,
  type EnvelopeOf,
  type EventData,
  type EventType,
} from '../../shared/envelope';
import type { ChannelContact, ChannelConversation } from '../../shared/envelope/parts';
import type { Platform } from '../../shared/platforms';

export interface EnvelopeScope {
  workspaceId: string;
  blockId: string;
  platform: Platform;
}

/** What most builders take: who, where, when, and the platform's event id. */
export interface ThreadOptions {
  /** Platform user id of the contact. */
  user: string;
  /** ISO timestamp of the event. */
  at: string;
  /** The platform's event id; a fresh one per call unless given (same rawId = redelivery). */
  rawId?: string;
  /** Profile fields the payload carries. */
  profile?: Omit<ChannelContact, 'platform_user_id'>;
  /** A group/room/chat instead of the 1:1 thread. */
  conversation?: ChannelConversation;
  metadata?: Partial<EnvelopeMetadata>;
}

let sequence = 0;
const freshRawId = (prefix: string) => `${prefix}.${Date.now().toString(36)}.${(sequence++).toString(36)}`;

export function testEnvelopes(scope: EnvelopeScope) {
  const { workspaceId, blockId, platform } = scope;

  function envelope<K extends EventType>(
    type: K,
    rawId: string,
    at: string,
    data: EventData<K>,
    metadata: Partial<EnvelopeMetadata> = {},
  ): EnvelopeOf<K> {
    return assertEnvelope({
      id: eventId({ platform, blockId, type, rawId }),
      type,
      workspace_id: workspaceId,
      block_id: blockId,
      platform,
      timestamp: at,
      data,
      metadata: { raw_platform_event_id: rawId, source: 'webhook', ...metadata },
    }) as EnvelopeOf<K>;
  }

  function thread(o: ThreadOptions) {
    const conversation = o.conversation ?? { platform_conversation_id: o.user, kind: 'direct' as const };
    return {
      contact_id: contactId(workspaceId, blockId, o.user),
      conversation_id: conversationId(workspaceId, blockId, conversation.platform_conversation_id),
      contact: { platform_user_id: o.user, ...o.profile },
      conversation,
    };
  }

  function message(direction: 'inbound' | 'outbound', rawId: string, text: string | undefined) {
    return {
      id: messageId(blockId, rawId),
      platform_message_id: rawId,
      direction,
      type: 'text' as const,
      ...(text !== undefined ? { text } : {}),
      attachments: [],
    };
  }

  return {
    scope,
    contactId: (user: string) => contactId(workspaceId, blockId, user),
    conversationId: (platformConversationId: string) => conversationId(workspaceId, blockId, platformConversationId),

    message(o: ThreadOptions & { text?: string }) {
      const rawId = o.rawId ?? freshRawId('mid');
      return envelope('messaging.message.received', rawId, o.at, { ...thread(o), message: message('inbound', rawId, o.text) }, o.metadata);
    },
    sent(o: ThreadOptions & { text?: string }) {
      const rawId = o.rawId ?? freshRawId('mid');
      return envelope('messaging.message.sent', rawId, o.at, { ...thread(o), message: message('outbound', rawId, o.text) }, o.metadata);
    },
    follow(o: ThreadOptions) {
      return envelope('messaging.follow', o.rawId ?? freshRawId('follow'), o.at, thread(o), o.metadata);
    },
    unfollow(o: ThreadOptions) {
      return envelope('messaging.unfollow', o.rawId ?? freshRawId('unfollow'), o.at, thread(o), o.metadata);
    },
    postback(o: ThreadOptions & { payload: string; title?: string }) {
      return envelope(
        'messaging.postback',
        o.rawId ?? freshRawId('postback'),
        o.at,
        {
          ...thread(o),
          postback: { payload: o.payload, source: 'button', ...(o.title ? { title: o.title } : {}) },
        },
        o.metadata,
      );
    },
    comment(o: ThreadOptions & { text?: string; postId: string }) {
      const rawId = o.rawId ?? freshRawId('comment');
      const { contact_id, contact } = thread(o);
      return envelope(
        'messaging.comment.created',
        rawId,
        o.at,
        {
          contact_id,
          contact,
          comment: { id: rawId, post_id: o.postId, ...(o.text !== undefined ? { text: o.text } : {}) },
        },
        o.metadata,
      );
    },
    storyReply(o: ThreadOptions & { text?: string; storyId: string }) {
      const rawId = o.rawId ?? freshRawId('mid');
      return envelope(
        'messaging.story_reply.received',
        rawId,
        o.at,
        {
          ...thread(o),
          message: message('inbound', rawId, o.text),
          story: { id: o.storyId },
        },
        o.metadata,
      );
    },
    reaction(o: ThreadOptions & { emoji: string; targetRawId?: string }) {
      const target = o.targetRawId ?? 'mid.target';
      return envelope(
        'messaging.reaction.added',
        o.rawId ?? freshRawId('reaction'),
        o.at,
        {
          ...thread(o),
          reaction: { emoji: o.emoji, kind: 'emoji', target: { id: messageId(blockId, target), platform_message_id: target } },
        },
        o.metadata,
      );
    },
    closed(o: { user: string; at: string; rawId?: string; conversation?: ChannelConversation }) {
      const { contact_id, conversation_id } = thread(o);
      return envelope('messaging.conversation.closed', o.rawId ?? freshRawId('close'), o.at, {
        conversation_id,
        contact_id,
        closed_by: { type: 'agent' },
      });
    },
    orderCreated(o: { user?: string; at: string; orderId: string; total?: number; rawId?: string }) {
      return envelope('commerce.order.created', o.rawId ?? o.orderId, o.at, {
        ...(o.user ? { contact_id: contactId(workspaceId, blockId, o.user) } : {}),
        order: { id: o.orderId, status: 'created', items: [], currency: 'USD', ...(o.total !== undefined ? { total: o.total } : {}) },
      });
    },
  };
}

export type TestEnvelopes = ReturnType<typeof testEnvelopes>;

/** Envelope JSON as the normalizer publishes it (for push bodies). */
export function envelopeMessage(e: Envelope): { data: string; attributes: Record<string, string> } {
  return { data: JSON.stringify(e), attributes: { type: e.type, workspace_id: e.workspace_id, event_id: e.id } };
}
