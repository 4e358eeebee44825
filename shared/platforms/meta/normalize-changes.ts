/**
 * One Meta `changes[]` item → drafts, by its `field` (FIELDS below). Comments
 * are the mapped kind:
 *   Instagram field `comments`               → messaging.comment.created
 *   Page field `feed`, item=comment, verb=add → messaging.comment.created
 *   ... unless written by the account itself (from.id = entry.id) → unsupported
 * Some apps receive Instagram messaging as `changes` (field `messages` with a
 * messaging item as value): those go through the messaging mapper. Every
 * other field (mentions, feed posts and reactions, edits and removals...) is
 * unsupported and kept.
 */
import { compact, isObj, optId, optText, reqId, type Json } from '../../platform-kit/fields';
import { ItemProblem, missing, unsupported } from '../../platform-kit/problems';
import { epochToIso, eventTime, type FallbackTime } from '../../platform-kit/time';
import type { Draft, MapContext } from '../../platform-kit/types';
import { mapMessaging } from './normalize-messaging';

/**
 * A comment whose author is the account itself (the Instagram account or the
 * Page: `from.id` equals `entry.id`) is the business replying, not a contact:
 * as a messaging.comment.created it would make the business its own contact
 * and let a comment-reply workflow answer its own reply, forever. It is kept
 * as an `unsupported` rejection instead (the event log lists it).
 */
function rejectOwnComment(kind: string, authorId: string, entry: Json): void {
  const accountId = optId(entry, 'id');
  if (accountId !== undefined && authorId === accountId) {
    throw new ItemProblem(
      'unsupported',
      `${kind} written by the account itself (from.id ${authorId} is the entry's account): not a contact's comment, so no messaging.comment.created`,
    );
  }
}

/** One field's mapper: `value` is the change's value object (at `vbase`), `entry` the change's entry. */
type FieldMapper = (value: Json, vbase: string, ctx: MapContext, entry: Json, fallbackTimes: FallbackTime[]) => Draft[];

/** Field → mapper; any other field whose value is a messaging item goes to the messaging mapper. */
const FIELDS = new Map<string, FieldMapper>([
  ['comments', mapInstagramComment],
  ['feed', mapFeed],
]);

/** The `changes[].field`s with a mapper of their own (what connect subscribes to: shared/platforms/meta/connect.ts). */
export const CHANGE_FIELDS: readonly string[] = [...FIELDS.keys()];

export function mapChange(change: Json, base: string, ctx: MapContext, entry: Json): Draft[] {
  const field = optText(change, 'field');
  if (field === undefined) throw missing(base, 'field');
  const value = change.value;
  const vbase = `${base}.value`;
  if (!isObj(value)) throw missing(base, 'value');
  // The entry's time only when the change has none: docs/performance.md#lazy-fallback-times
  const fallbackTimes = [() => epochToIso(entry.time, 'auto'), ctx.receivedAt];
  const map = FIELDS.get(field);
  if (map) return map(value, vbase, ctx, entry, fallbackTimes);
  if (isObj(value.sender) && isObj(value.recipient)) return mapMessaging(value, vbase, ctx, { entry, standby: false });
  throw unsupported(`changes.${field}`);
}

/** Instagram `comments`: a comment on the account's media. */
function mapInstagramComment(value: Json, vbase: string, ctx: MapContext, entry: Json, fallbackTimes: FallbackTime[]): Draft[] {
  const commentId = reqId(value, 'id', vbase);
  const userId = reqId(value, 'from.id', vbase);
  rejectOwnComment('changes.comments', userId, entry);
  const mediaId = reqId(value, 'media.id', vbase);
  const parentId = optId(value, 'parent_id');
  return [
    {
      type: 'messaging.comment.created',
      timestamp: eventTime(value, 'timestamp', vbase, 'auto', fallbackTimes),
      rawId: commentId,
      kind: 'changes.comments',
      detail: compact({ media_product_type: optText(value, 'media.media_product_type') }),
      data: {
        contact_id: ctx.contactId(userId),
        contact: compact({ platform_user_id: userId, username: optText(value, 'from.username') }),
        comment: compact({
          id: commentId,
          text: optText(value, 'text'),
          post_id: mediaId,
          parent_id: parentId,
          media_type: optText(value, 'media.media_product_type'),
        }),
      },
    },
  ];
}

/** Page `feed`: only a comment being added (item=comment, verb=add) is mapped. */
function mapFeed(value: Json, vbase: string, ctx: MapContext, entry: Json, fallbackTimes: FallbackTime[]): Draft[] {
  const item = optText(value, 'item') ?? '(none)';
  const verb = optText(value, 'verb') ?? '(none)';
  if (item !== 'comment' || verb !== 'add') throw unsupported(`changes.feed.${item}.${verb}`);
  const commentId = reqId(value, 'comment_id', vbase);
  const userId = reqId(value, 'from.id', vbase);
  rejectOwnComment('changes.feed.comment.add', userId, entry);
  const postId = reqId(value, 'post_id', vbase);
  const parentId = optId(value, 'parent_id');
  return [
    {
      type: 'messaging.comment.created',
      timestamp: eventTime(value, 'created_time', vbase, 's', fallbackTimes),
      rawId: commentId,
      kind: 'changes.feed.comment.add',
      data: {
        contact_id: ctx.contactId(userId),
        contact: compact({ platform_user_id: userId, display_name: optText(value, 'from.name') }),
        // A top-level comment names the post as its parent: only a reply has a parent comment.
        comment: compact({
          id: commentId,
          text: optText(value, 'message'),
          post_id: postId,
          parent_id: parentId && parentId !== postId ? parentId : undefined,
        }),
      },
    },
  ];
}
