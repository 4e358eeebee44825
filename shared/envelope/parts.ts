/**
 * The building blocks of event `data`, shared by every event type so that the
 * same thing has the same name on every platform (a message is always a
 * Message, whoever sent it). Platform-specific detail never goes here: it
 * belongs in the envelope's `metadata.platform_detail`.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { PLATFORMS } from '../platforms';

/** An optional property. */
export const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema);

/** Our own ids: a prefix and a hash (see ids.ts). Accepts foreign ids of the same prefix too (internal events). */
export const PrefixedId = (prefix: string, description: string) => Type.String({ pattern: `^${prefix}_[0-9A-Za-z_-]{1,64}$`, description });

export const EventId = PrefixedId('evt', 'Event id, deterministic for platform events.');
export const ContactId = PrefixedId('ct', 'Contact id: one per workspace, Block and platform user.');
export const ConversationId = PrefixedId('conv', 'Conversation id: one per workspace, Block and platform thread.');
export const MessageId = PrefixedId('msg', 'Message id: one per Block and platform message id.');

export const DateTime = Type.String({ format: 'date-time', description: 'ISO 8601 timestamp (UTC).' });
export const NonEmpty = (description?: string) => Type.String({ minLength: 1, ...(description ? { description } : {}) });

export const PlatformName = Type.Union(
  PLATFORMS.map((p) => Type.Literal(p)),
  { description: 'A messaging platform.' },
);

/** Profile fields a channel or the CRM may know about a person; one list so both shapes name them alike. */
const profileFields = () => ({
  display_name: Opt(Type.String()),
  first_name: Opt(Type.String()),
  last_name: Opt(Type.String()),
  username: Opt(Type.String()),
  language_code: Opt(Type.String()),
  phone: Opt(Type.String()),
});

/** Who the contact is on the channel, as far as the payload tells. */
export const ChannelContact = Type.Object(
  {
    platform_user_id: NonEmpty("The platform's id for the user: page-scoped id, IGSID, wa_id, LINE userId, Telegram user id."),
    ...profileFields(),
    is_bot: Opt(Type.Boolean()),
  },
  { additionalProperties: false, description: 'The contact as the channel knows them.' },
);

export const ConversationKind = Type.Union([Type.Literal('direct'), Type.Literal('group'), Type.Literal('room'), Type.Literal('channel')], {
  description: 'direct: a 1:1 thread; group / room: LINE groups and rooms, Telegram groups; channel: broadcast channels.',
});

export const ChannelConversation = Type.Object(
  {
    platform_conversation_id: NonEmpty("The platform's id for the thread (sender id for 1:1 threads, group/room/chat id otherwise)."),
    kind: ConversationKind,
    title: Opt(Type.String()),
  },
  { additionalProperties: false },
);

/** A reference to one message, by our id and the platform's. */
export const MessageRef = Type.Object(
  {
    id: MessageId,
    platform_message_id: NonEmpty("The platform's message id (mid, wamid, LINE message id, Telegram chat_id:message_id)."),
  },
  { additionalProperties: false },
);

export const MESSAGE_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'file',
  'sticker',
  'location',
  'contacts',
  'share',
  'reel',
  'story_mention',
  'like',
  'dice',
  'template',
  'interactive',
  'button',
  'order',
  'poll',
  'unknown',
  'other',
] as const;
export const MessageType = Type.Union(
  MESSAGE_TYPES.map((t) => Type.Literal(t)),
  {
    description: 'What the message mainly is. `unknown` when only a status names it (e.g. a WhatsApp `sent` status).',
  },
);

export const ATTACHMENT_TYPES = [
  'image',
  'video',
  'audio',
  'file',
  'sticker',
  'location',
  'contact',
  'share',
  'reel',
  'story_mention',
  'like',
  'dice',
  'template',
  'fallback',
  'other',
] as const;
export const Attachment = Type.Object(
  {
    type: Type.Union(ATTACHMENT_TYPES.map((t) => Type.Literal(t))),
    url: Opt(Type.String({ description: "Where the media can be fetched (may expire, may need the Block's token)." })),
    platform_media_id: Opt(
      Type.String({ description: "The platform's media id, when media is fetched by id (WhatsApp, LINE, Telegram file_id)." }),
    ),
    mime_type: Opt(Type.String()),
    name: Opt(Type.String({ description: 'File name, sticker id or contact name.' })),
    size: Opt(Type.Integer({ minimum: 0 })),
    caption: Opt(Type.String()),
    duration_ms: Opt(Type.Integer({ minimum: 0 })),
    location: Opt(
      Type.Object(
        {
          latitude: Type.Number(),
          longitude: Type.Number(),
          name: Opt(Type.String()),
          address: Opt(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    value: Opt(Type.Union([Type.String(), Type.Number()], { description: 'Dice value, sticker keyword, shared contact phone...' })),
  },
  { additionalProperties: false },
);

export const Message = Type.Object(
  {
    id: MessageId,
    platform_message_id: NonEmpty(),
    direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')]),
    type: MessageType,
    text: Opt(Type.String()),
    attachments: Type.Array(Attachment, { description: 'Empty for plain text.' }),
    reply_to: Opt(MessageRef),
  },
  { additionalProperties: false },
);

/** An error as a platform or a service reported it. */
export const ErrorInfo = Type.Object(
  {
    code: NonEmpty("The platform's error code, as a string."),
    message: Type.String(),
    details: Opt(Type.String()),
  },
  { additionalProperties: false },
);

export const Money = Type.Number({ description: "An amount in the currency's major unit (12.5 = 12.50)." });
export const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code.' });

export const LineItem = Type.Object(
  {
    product_id: Opt(Type.String()),
    sku: Opt(Type.String()),
    name: Opt(Type.String()),
    quantity: Type.Number({ minimum: 0 }),
    unit_price: Opt(Money),
    currency: Opt(Currency),
  },
  { additionalProperties: false },
);

export const ORDER_STATUSES = [
  'created',
  'pending',
  'paid',
  'processing',
  'fulfilled',
  'shipped',
  'delivered',
  'cancelled',
  'refunded',
] as const;
export const Order = Type.Object(
  {
    id: NonEmpty('The order id in the source system (for WhatsApp orders, the message id).'),
    status: Type.Union(ORDER_STATUSES.map((s) => Type.Literal(s))),
    currency: Opt(Currency),
    items: Type.Array(LineItem),
    subtotal: Opt(Money),
    total: Opt(Money),
    catalog_id: Opt(Type.String()),
    note: Opt(Type.String()),
  },
  { additionalProperties: false },
);

export const Deal = Type.Object(
  {
    id: NonEmpty(),
    name: Opt(Type.String()),
    pipeline_id: Opt(Type.String()),
    stage: NonEmpty('The stage the deal is in now.'),
    value: Opt(Money),
    currency: Opt(Currency),
  },
  { additionalProperties: false },
);

/** A contact as the CRM holds it (crm.contact.* events). */
export const ContactRecord = Type.Object(
  {
    block_id: Opt(Type.String()),
    platform: Opt(PlatformName),
    platform_user_id: Opt(Type.String()),
    ...profileFields(),
    email: Opt(Type.String()),
    subscribed: Opt(Type.Boolean({ description: 'False after the contact unfollowed / blocked the account.' })),
  },
  { additionalProperties: false },
);

export type ChannelContact = Static<typeof ChannelContact>;
export type ChannelConversation = Static<typeof ChannelConversation>;
export type MessageRef = Static<typeof MessageRef>;
export type Message = Static<typeof Message>;
export type Attachment = Static<typeof Attachment>;
export type ErrorInfo = Static<typeof ErrorInfo>;
export type Order = Static<typeof Order>;
export type ContactRecord = Static<typeof ContactRecord>;
