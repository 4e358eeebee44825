/**
 * Every event type and the schema of its `data`: the one place a new event
 * type is added. The envelope's TypeScript types, its JSON Schema, the ajv
 * validators and docs/event-types.md are all derived from this map.
 *
 * `spec: true` marks the 35 types of the product docs (spec/webhook-events.md).
 * The others are extensions for platform events the spec has no type for
 * (edits, unsends, referrals, group membership...): named in the same
 * domain.entity.action form so consumers can match them, never one of the 35
 * bent out of shape.
 */
import { Type, type TObject, type TProperties } from '@sinclair/typebox';
import {
  ChannelContact,
  ChannelConversation,
  ContactId,
  ContactRecord,
  ConversationId,
  Currency,
  DateTime,
  Deal,
  ErrorInfo,
  EventId,
  LineItem,
  Message,
  MessageRef,
  Money,
  NonEmpty,
  Opt,
  Order,
  PlatformName,
} from './parts';

const obj = <P extends TProperties>(properties: P, description?: string) =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });

/** What every event about one contact in one thread carries. */
const inThread = {
  contact_id: ContactId,
  conversation_id: ConversationId,
  contact: ChannelContact,
  conversation: ChannelConversation,
};

const messageEvent = obj({ ...inThread, message: Message });

const receiptEvent = obj({
  ...inThread,
  messages: Type.Array(MessageRef, { description: 'The messages this receipt covers; empty when only a watermark is given.' }),
  watermark: Opt(Type.Union([DateTime], { description: 'Every message sent before this time is covered (Messenger).' })),
});

const reactionEvent = obj({
  ...inThread,
  reaction: obj({
    emoji: Opt(Type.String({ description: 'The emoji; removals often carry none.' })),
    kind: Type.Union([Type.Literal('emoji'), Type.Literal('custom_emoji'), Type.Literal('paid'), Type.Literal('other')]),
    target: MessageRef,
  }),
});

const automationEvent = (extra: TProperties = {}) =>
  obj({
    workflow_id: NonEmpty(),
    execution_id: NonEmpty(),
    contact_id: Opt(ContactId),
    conversation_id: Opt(ConversationId),
    trigger_event_id: Opt(EventId),
    ...extra,
  });

const orderEvent = (extra: TProperties = {}) =>
  obj({ contact_id: Opt(ContactId), conversation_id: Opt(ConversationId), order: Order, ...extra });

const notificationEvent = (extra: TProperties = {}) =>
  obj({
    notification_id: NonEmpty(),
    contact_id: Opt(ContactId),
    conversation_id: Opt(ConversationId),
    channel: Opt(PlatformName),
    template: Opt(Type.String()),
    order_id: Opt(Type.String()),
    ...extra,
  });

const membershipEvent = obj({
  conversation_id: ConversationId,
  conversation: ChannelConversation,
  members: Type.Array(ChannelContact, { description: 'Who joined or left; empty when the bot itself did.' }),
});

export interface EventTypeDefinition<S extends TObject = TObject> {
  description: string;
  /** One of the 35 types of the product docs, or an extension of ours. */
  spec: boolean;
  data: S;
}

const def = <S extends TObject>(spec: boolean, description: string, data: S): EventTypeDefinition<S> => ({ spec, description, data });

export const EVENT_TYPES = {
  // Messaging
  'messaging.message.received': def(true, 'An inbound message was received from a contact.', messageEvent),
  'messaging.message.sent': def(true, 'An outbound message was sent to a contact.', messageEvent),
  'messaging.message.delivered': def(true, "A sent message was delivered to the contact's device.", receiptEvent),
  'messaging.message.read': def(true, 'A sent message was read by the contact.', receiptEvent),
  'messaging.message.failed': def(true, 'A message failed to send.', obj({ ...inThread, message: MessageRef, error: ErrorInfo })),
  'messaging.conversation.created': def(
    true,
    'A new conversation was started.',
    obj({
      conversation_id: ConversationId,
      conversation: ChannelConversation,
      contact_id: Opt(ContactId),
    }),
  ),
  'messaging.conversation.closed': def(
    true,
    'A conversation was closed by an agent.',
    obj({
      conversation_id: ConversationId,
      contact_id: Opt(ContactId),
      closed_by: Opt(
        obj({ type: Type.Union([Type.Literal('agent'), Type.Literal('automation'), Type.Literal('system')]), id: Opt(Type.String()) }),
      ),
      reason: Opt(Type.String()),
    }),
  ),
  'messaging.comment.created': def(
    true,
    'A comment was posted on a social media post.',
    obj({
      contact_id: ContactId,
      contact: ChannelContact,
      comment: obj({
        id: NonEmpty("The platform's comment id."),
        text: Opt(Type.String()),
        post_id: NonEmpty('The post or media the comment is on.'),
        parent_id: Opt(Type.String({ description: 'The comment this one replies to.' })),
        media_type: Opt(Type.String()),
      }),
    }),
  ),
  'messaging.story_reply.received': def(
    true,
    'A story reply was received (Instagram).',
    obj({
      ...inThread,
      message: Message,
      story: obj({ id: NonEmpty(), url: Opt(Type.String()) }),
    }),
  ),
  'messaging.reaction.added': def(true, 'A reaction was added to a message.', reactionEvent),
  'messaging.reaction.removed': def(true, 'A reaction was removed from a message.', reactionEvent),
  'messaging.follow': def(true, 'A user followed / added the account.', obj({ ...inThread })),
  'messaging.unfollow': def(true, 'A user unfollowed / removed the account.', obj({ ...inThread })),
  'messaging.postback': def(
    true,
    'A user tapped a postback button.',
    obj({
      ...inThread,
      postback: obj({
        payload: Type.String({
          description: 'What the button carries (Meta payload, WhatsApp button id, LINE data, Telegram callback data).',
        }),
        title: Opt(Type.String({ description: "The button's label, when the platform says it." })),
        source: Type.Union([
          Type.Literal('button'),
          Type.Literal('quick_reply'),
          Type.Literal('list'),
          Type.Literal('menu'),
          Type.Literal('callback_query'),
          Type.Literal('other'),
        ]),
        message: Opt(MessageRef),
        params: Opt(Type.Record(Type.String(), Type.String(), { description: 'Extra values the tap carried (LINE date/time pickers).' })),
      }),
    }),
  ),

  // Commerce
  'commerce.order.created': def(true, 'A new order was placed.', orderEvent()),
  'commerce.order.updated': def(true, 'An order status was updated.', orderEvent({ previous_status: Opt(Type.String()) })),
  'commerce.order.fulfilled': def(
    true,
    'An order was fulfilled / shipped.',
    orderEvent({
      fulfillment: Opt(obj({ carrier: Opt(Type.String()), tracking_number: Opt(Type.String()), tracking_url: Opt(Type.String()) })),
    }),
  ),
  'commerce.order.cancelled': def(true, 'An order was cancelled.', orderEvent({ reason: Opt(Type.String()) })),
  'commerce.cart.abandoned': def(
    true,
    'A cart was abandoned (no purchase within threshold).',
    obj({
      contact_id: Opt(ContactId),
      cart: obj({
        id: NonEmpty(),
        items: Type.Array(LineItem),
        currency: Opt(Currency),
        total: Opt(Money),
        url: Opt(Type.String()),
        abandoned_at: Opt(DateTime),
      }),
    }),
  ),

  // CRM
  'crm.contact.created': def(true, 'A new contact was created.', obj({ contact_id: ContactId, contact: ContactRecord })),
  'crm.contact.updated': def(
    true,
    'A contact record was updated.',
    obj({
      contact_id: ContactId,
      contact: ContactRecord,
      changed_fields: Type.Array(Type.String(), { minItems: 1, description: 'The fields of `contact` that changed.' }),
    }),
  ),
  'crm.contact.merged': def(
    true,
    'Two contact records were merged.',
    obj({
      contact_id: ContactId,
      merged_contact_ids: Type.Array(ContactId, { minItems: 1, description: 'The contacts folded into contact_id.' }),
    }),
  ),
  'crm.deal.created': def(true, 'A new deal was created.', obj({ deal: Deal, contact_id: Opt(ContactId) })),
  'crm.deal.stage_changed': def(
    true,
    'A deal moved to a different pipeline stage.',
    obj({
      deal: Deal,
      previous_stage: NonEmpty(),
      contact_id: Opt(ContactId),
    }),
  ),

  // Automation
  'automation.workflow.started': def(true, 'A Workflow execution started.', automationEvent()),
  'automation.workflow.completed': def(true, 'A Workflow execution completed.', automationEvent()),
  'automation.workflow.failed': def(true, 'A Workflow execution failed.', automationEvent({ error: ErrorInfo })),
  'automation.workflow.paused': def(
    true,
    'A Workflow execution is waiting (e.g., Wait for Reply).',
    automationEvent({
      waiting_for: obj({
        kind: Type.Union([Type.Literal('reply'), Type.Literal('time'), Type.Literal('event')]),
        step_id: Opt(Type.String()),
        until: Opt(DateTime),
      }),
    }),
  ),

  // Platform
  'platform.block.connected': def(
    true,
    'A Block was connected to the workspace.',
    obj({
      account_id: Opt(Type.String()),
      account_name: Opt(Type.String()),
    }),
  ),
  'platform.block.disconnected': def(
    true,
    'A Block was disconnected.',
    obj({
      account_id: Opt(Type.String()),
      reason: Opt(Type.String()),
    }),
  ),
  'platform.block.error': def(
    true,
    'A Block encountered an error (e.g., expired token).',
    obj({ error: ErrorInfo, account_id: Opt(Type.String()) }),
  ),
  'platform.webhook.verified': def(
    true,
    'A webhook endpoint was verified by a platform.',
    obj({
      verified_at: DateTime,
      account_id: Opt(Type.String()),
    }),
  ),

  // PTM (post-transaction messaging)
  'ptm.notification.sent': def(true, 'A post-transaction notification was sent.', notificationEvent()),
  'ptm.notification.delivered': def(true, 'A post-transaction notification was delivered.', notificationEvent()),
  'ptm.notification.clicked': def(
    true,
    'A post-transaction notification link was clicked.',
    notificationEvent({ url: Opt(Type.String()) }),
  ),

  // Extensions: platform events the spec has no type for.
  'messaging.message.edited': def(false, 'A contact edited a message they had sent (the new content).', messageEvent),
  'messaging.message.deleted': def(false, 'A contact unsent / deleted a message.', obj({ ...inThread, message: MessageRef })),
  'messaging.referral.received': def(
    false,
    'A contact arrived from an ad, link or QR code (m.me ref, click-to-WhatsApp ad).',
    obj({
      ...inThread,
      referral: obj({
        source: Type.String({ description: 'ADS, SHORTLINK, QR... as the platform says.' }),
        ref: Opt(Type.String()),
        ad_id: Opt(Type.String()),
        url: Opt(Type.String()),
        headline: Opt(Type.String()),
        body: Opt(Type.String()),
      }),
      message: Opt(Message),
    }),
  ),
  'messaging.contact.identity_changed': def(
    false,
    "A contact's platform ids changed (WhatsApp: a new phone number or business-scoped user id); the ids derive from the new ones.",
    obj({
      ...inThread,
      previous: obj({
        contact_id: ContactId,
        platform_user_ids: Type.Array(NonEmpty(), {
          minItems: 1,
          description:
            'The ids the contact had before, as far as the platform names them (WhatsApp: phone number, business-scoped user id).',
        }),
      }),
    }),
  ),
  'messaging.member.joined': def(false, 'Members joined a group or room the account is in.', membershipEvent),
  'messaging.member.left': def(false, 'Members left a group or room the account is in.', membershipEvent),
  'messaging.bot.joined': def(false, 'The account was added to a group or room.', membershipEvent),
  'messaging.bot.left': def(false, 'The account was removed from a group or room.', membershipEvent),
  'messaging.beacon.detected': def(
    false,
    'A contact came near a LINE beacon.',
    obj({
      ...inThread,
      beacon: obj({ hwid: NonEmpty(), type: Type.String(), device_message: Opt(Type.String()) }),
    }),
  ),
  'messaging.optin.received': def(
    false,
    'A contact opted in (Messenger checkbox / notification request).',
    obj({
      ...inThread,
      optin: obj({ type: Opt(Type.String()), ref: Opt(Type.String()), token: Opt(Type.String()) }),
    }),
  ),
} satisfies Record<string, EventTypeDefinition>;

export type EventType = keyof typeof EVENT_TYPES;
export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as EventType[];
export const SPEC_EVENT_TYPES = EVENT_TYPE_NAMES.filter((t) => EVENT_TYPES[t].spec);
export const EXTENSION_EVENT_TYPES = EVENT_TYPE_NAMES.filter((t) => !EVENT_TYPES[t].spec);

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(EVENT_TYPES, value);
}
