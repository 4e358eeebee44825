/**
 * The contact/conversation part every in-thread event carries, built the same
 * way for every platform so that ids derive from the same inputs everywhere.
 */
import type { ChannelContact, ChannelConversation, MessageRef } from '../envelope/parts';
import type { MapContext } from './types';
import { compact } from './fields';

export interface InThread {
  contact_id: string;
  conversation_id: string;
  contact: ChannelContact;
  conversation: ChannelConversation;
}

export function inThread(ctx: MapContext, contact: ChannelContact, conversation: ChannelConversation): InThread {
  return {
    contact_id: ctx.contactId(contact.platform_user_id),
    conversation_id: ctx.conversationId(conversation.platform_conversation_id),
    contact: compact(contact),
    conversation: compact(conversation),
  };
}

/** A 1:1 thread, whose platform id is the user's (Meta, WhatsApp, LINE users, Telegram private chats). */
export function directThread(ctx: MapContext, contact: ChannelContact): InThread {
  return inThread(ctx, contact, { platform_conversation_id: contact.platform_user_id, kind: 'direct' });
}

export function messageRef(ctx: MapContext, platformMessageId: string): MessageRef {
  return { id: ctx.messageId(platformMessageId), platform_message_id: platformMessageId };
}
