/**
 * Routing of one batch: the Block of each item, from our records. An edge
 * attribute wins (it was resolved from our records to authenticate the
 * request); otherwise the item's accounts, each distinct lookup once per
 * batch. Even an item naming no account is asked about: a static router (CLI,
 * tests) routes everything.
 */
import type { BatchItem, Route } from '../platform-kit/types';
import { RoutingUnavailableError, type RouteAnswer, type Router } from './router';
import type { NormalizeInput } from './types';

/** The route of each item, in item order; undefined: no connected Block (the item is unroutable). */
export type Routes = Array<Route | undefined>;

/**
 * `blockId` is the edge's Block attribute (LINE, Telegram) or the one a
 * handshake record names. Returns the routes themselves when no answer is
 * pending, so the caller need not await (docs/performance.md#await-only-what-is-pending),
 * else a promise of them. Throws (or rejects with) RoutingUnavailableError
 * when the records cannot be read: the message must be retried.
 */
export function routeBatch(
  router: Router,
  input: NormalizeInput,
  blockId: string | undefined,
  items: BatchItem[],
): Routes | Promise<Routes> {
  if (blockId && input.workspaceId) {
    const route = { blockId, workspaceId: input.workspaceId };
    return items.map(() => route);
  }
  const keys: string[] = [];
  const answers = new Map<string, RouteAnswer>();
  let pending = false;
  try {
    for (const item of items) {
      const key = blockId ? `block:${blockId}` : `accounts:${item.accounts.join('\u0000')}`;
      keys.push(key);
      if (answers.has(key)) continue;
      const answer = blockId ? router.byBlockId(blockId) : router.byAccounts(input.platform, item.accounts);
      pending ||= isPromiseLike(answer);
      answers.set(key, answer);
    }
  } catch (err) {
    throw new RoutingUnavailableError(err);
  }
  if (!pending) return keys.map((key) => answers.get(key) as Route | undefined);
  return settle(answers, keys);
}

async function settle(answers: Map<string, RouteAnswer>, keys: string[]): Promise<Routes> {
  const entries = [...answers];
  let resolved: Routes;
  try {
    resolved = await Promise.all(entries.map(([, answer]) => answer));
  } catch (err) {
    throw new RoutingUnavailableError(err);
  }
  const byKey = new Map(entries.map(([key], i) => [key, resolved[i]]));
  return keys.map((key) => byKey.get(key));
}

function isPromiseLike(value: RouteAnswer): value is Promise<Route | undefined> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

/** Why an item has no route, for its `unroutable` rejection. */
export function unroutableDetail(input: NormalizeInput, item: BatchItem): string {
  if (input.kind === 'handshake') {
    return 'the verification names no connected Block (Meta verifies the app subscription, not a Block), so there is no workspace for platform.webhook.verified';
  }
  if (input.blockId) return `Block ${input.blockId} named by the edge is not connected`;
  if (item.accounts.length === 0) return `the item names no ${input.platform} account and the message carries no Block`;
  return `no connected Block for ${input.platform} account ${item.accounts.join(' or ')}`;
}
