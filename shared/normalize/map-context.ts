/**
 * The MapContext a mapper gets for one routed item: the item's route, its
 * time fallback, and the ids derived from the route (shared/envelope/ids.ts).
 *
 * Contact and conversation ids repeat across events (a conversation is a burst
 * of messages, receipts and reactions from one person) and each is a SHA-256,
 * so they are memoized per process: per workspace and Block, then by the
 * platform id, at most ID_MEMO_LIMIT ids, cleared wholesale when full (simple,
 * and a miss only costs a hash). docs/performance.md#the-contact-and-conversation-id-memo
 */
import { contactId, conversationId, messageId } from '../envelope/ids';
import type { Platform } from '../platforms';
import type { MapContext, Route } from '../platform-kit/types';

const ID_MEMO_LIMIT = 50_000;

/** The memo of one workspace and Block: looked up once per item, so each id lookup is keyed by the platform id alone. */
interface ScopeMemo {
  contacts: Map<string, string>;
  conversations: Map<string, string>;
}
const idMemo = new Map<string, Map<string, ScopeMemo>>();
let memoized = 0;

function scopeMemo(route: Route): ScopeMemo {
  // Nested by the two ids, not keyed by a joined string: docs/performance.md#the-contact-and-conversation-id-memo
  let byBlock = idMemo.get(route.workspaceId);
  if (!byBlock) {
    byBlock = new Map();
    idMemo.set(route.workspaceId, byBlock);
  }
  let memo = byBlock.get(route.blockId);
  if (!memo) {
    memo = { contacts: new Map(), conversations: new Map() };
    byBlock.set(route.blockId, memo);
  }
  return memo;
}

function remember(map: Map<string, string>, key: string, id: string): string {
  if (memoized >= ID_MEMO_LIMIT) {
    idMemo.clear();
    memoized = 0;
  }
  map.set(key, id);
  memoized++;
  return id;
}

/** A class, not an object of closures: docs/performance.md#no-closures-per-item */
export class ItemContext implements MapContext {
  private readonly memo: ScopeMemo;
  constructor(
    readonly platform: Platform,
    readonly route: Route,
    readonly receivedAt: string,
  ) {
    this.memo = scopeMemo(route);
  }
  contactId(userId: string): string {
    return (
      this.memo.contacts.get(userId) ?? remember(this.memo.contacts, userId, contactId(this.route.workspaceId, this.route.blockId, userId))
    );
  }
  conversationId(convId: string): string {
    return (
      this.memo.conversations.get(convId) ??
      remember(this.memo.conversations, convId, conversationId(this.route.workspaceId, this.route.blockId, convId))
    );
  }
  messageId(platformMessageId: string): string {
    return messageId(this.route.blockId, platformMessageId);
  }
}
