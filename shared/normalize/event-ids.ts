/**
 * Event ids: eventId(platform, Block, type, raw id, discriminator). Two events
 * of one batch can share an id:
 *   - exact duplicates (a platform repeating one item in a body: same id and
 *     the same content): one event, so only the first is kept, with the plain
 *     id it gets when delivered alone (the rest are dropped from `placed`);
 *   - different events under one platform id (LINE sends several events under
 *     one webhookEventId): only those also hash the item's place in the batch,
 *     which keeps them distinct and still stable across redeliveries of the
 *     same batch.
 * Every other id stays position-free.
 */
import { eventId, type IdPart } from '../envelope/ids';
import type { Platform } from '../platforms';
import type { BatchItem, Draft, Route } from '../platform-kit/types';

/** One draft with the routed item it came from and its index among that item's drafts. */
export interface Placed {
  item: BatchItem;
  route: Route;
  draft: Draft;
  index: number;
}

/**
 * The ids of `placed` as it is afterwards: exact duplicates are removed from
 * it in place. docs/performance.md#collisions-take-the-rare-path
 */
export function assignEventIds(platform: Platform, placed: Placed[]): string[] {
  const ids = placed.map((p) => idOf(platform, p));
  if (ids.length < 2 || new Set(ids).size === ids.length) return ids;
  return resolveCollisions(platform, placed, ids);
}

/** Collapses exact duplicates (in `placed`), then places the ids still shared. */
function resolveCollisions(platform: Platform, placed: Placed[], ids: string[]): string[] {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < ids.length; i++) {
    const group = groups.get(ids[i] as string);
    if (group) group.push(i);
    else groups.set(ids[i] as string, [i]);
  }
  const duplicate = new Set<number>();
  const shared = new Set<string>();
  for (const [id, members] of groups) {
    if (members.length < 2) continue;
    const contents = new Set<string>();
    for (const i of members) {
      const content = contentOf((placed[i] as Placed).draft);
      if (contents.has(content)) duplicate.add(i);
      else contents.add(content);
    }
    if (contents.size > 1) shared.add(id);
  }
  const out: string[] = [];
  let kept = 0;
  for (let i = 0; i < placed.length; i++) {
    if (duplicate.has(i)) continue;
    const p = placed[i] as Placed;
    const id = ids[i] as string;
    placed[kept++] = p;
    out.push(shared.has(id) ? idOf(platform, p, ['at', p.item.path, p.index]) : id);
  }
  placed.length = kept;
  return out;
}

/** What an envelope would carry besides its id and where it came from (type, raw id and discriminator are in the id). */
function contentOf(draft: Draft): string {
  return JSON.stringify([draft.timestamp, draft.kind, draft.data, draft.detail ?? null]);
}

/** Module-level, not a closure per batch: docs/performance.md#no-closures-per-item */
function idOf(platform: Platform, { route, draft }: Placed, at?: IdPart[]): string {
  return eventId({
    platform,
    blockId: route.blockId,
    type: draft.type,
    rawId: draft.rawId,
    discriminator: at ? [...(draft.discriminator ?? []), ...at] : draft.discriminator,
  });
}
