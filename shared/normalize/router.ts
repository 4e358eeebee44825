/**
 * Where an event goes: the Router answers "which workspace and Block" from our
 * own records, never from what a payload claims. The normalizer function uses
 * the Block registry (Firestore); the CLI, tests and the benchmark route every
 * event to one Block with a static router.
 */
import { isConnected, type Block, type BlockRegistry } from '../contracts/blocks';
import { withDeadline } from '../runtime/deadline';
import { TtlCache } from '../runtime/ttl-cache';
import type { Platform } from '../platforms';
import type { Route } from '../platform-kit/types';

/** A route, or none; a promise of one when the answer must be looked up. */
export type RouteAnswer = Route | undefined | Promise<Route | undefined>;

export interface Router {
  /** The connected Block of the first of these accounts that has one. */
  byAccounts(platform: Platform, accounts: readonly string[]): RouteAnswer;
  /** The workspace of a Block known by id (an edge attribute or a handshake record naming only the Block). */
  byBlockId(blockId: string): RouteAnswer;
}

/** Routes everything to one Block: the CLI's `--workspace/--block`, tests, benchmarks. */
export function staticRouter(route: Route): Router {
  // Answers at once, no promise: docs/performance.md#await-only-what-is-pending
  return { byAccounts: () => route, byBlockId: () => route };
}

const toRoute = (block: Block | undefined): Route | undefined =>
  isConnected(block) ? { workspaceId: block.workspace_id, blockId: block.block_id } : undefined;

/**
 * Routes by the Block registry. A disconnected Block routes nothing: its events
 * are unroutable, like those of an account we never knew.
 */
export function registryRouter(registry: BlockRegistry, blockById: (id: string) => Promise<Block | undefined>): Router {
  return {
    async byAccounts(platform, accounts) {
      for (const account of accounts) {
        const route = toRoute(await registry.byAccount(platform, account));
        if (route) return route;
      }
      return undefined;
    },
    async byBlockId(blockId) {
      return toRoute(await blockById(blockId));
    },
  };
}

export class RoutingTimeoutError extends Error {
  override readonly name = 'RoutingTimeoutError';
}

/**
 * A router whose lookups fail after timeoutMs. The Firestore client retries an
 * unreachable host for about 45 s on its own; holding every push request that
 * long ties up instances and outlives nothing useful, while a prompt 500 lets
 * Pub/Sub's backoff schedule the retry. The abandoned lookup finishes (or
 * fails) unobserved; a cachedRouter inside this one still keeps what it
 * found, for the retry. An answer given at once (a cache hit) passes as is.
 */
export function boundedRouter(router: Router, timeoutMs: number): Router {
  const bounded = (answer: RouteAnswer, what: string): RouteAnswer =>
    answer instanceof Promise
      ? withDeadline(answer, timeoutMs, () => new RoutingTimeoutError(`${what} did not answer within ${timeoutMs} ms`))
      : answer;
  return {
    byAccounts: (platform, accounts) =>
      bounded(router.byAccounts(platform, accounts), `the lookup of ${platform} account ${accounts.join(' or ')}`),
    byBlockId: (blockId) => bounded(router.byBlockId(blockId), `the lookup of Block ${blockId}`),
  };
}

/**
 * A router that answers a lookup it made within the last ttlMs from memory,
 * at once and without a promise: a busy account's every message otherwise
 * paid a chain of promises and a deadline timer for what was a cache hit
 * (docs/performance.md#await-only-what-is-pending). Both answers are kept,
 * a Block and "none", as the registry's own cache did; a failed lookup is
 * not. Block-by-id reads (handshake records) pass through.
 */
export function cachedRouter(router: Router, ttlMs: number, now: () => number = Date.now): Router {
  const routes = new TtlCache<Route | undefined>(ttlMs, undefined, now);
  return {
    byAccounts(platform, accounts) {
      if (ttlMs <= 0) return router.byAccounts(platform, accounts);
      const key = `${platform}\u0000${accounts.join('\u0000')}`;
      const hit = routes.peek(key);
      if (hit) return hit.value;
      const since = now();
      const answer = router.byAccounts(platform, accounts);
      return answer instanceof Promise ? answer.then((route) => routes.set(key, route, since)) : routes.set(key, answer, since);
    },
    byBlockId: (blockId) => router.byBlockId(blockId),
  };
}

/**
 * Routes cached for ttlMs, each lookup bounded by timeoutMs, in that order:
 * with the cache inside the deadline, a lookup that outlives it still fills
 * the cache, so the message's retry is answered from memory instead of
 * starting another lookup against a registry that is already slow.
 */
export function cachedBoundedRouter(router: Router, ttlMs: number, timeoutMs: number): Router {
  return boundedRouter(cachedRouter(router, ttlMs), timeoutMs);
}

/** Thrown when the records cannot be read (not when an account is unknown): the message must be retried. */
export class RoutingUnavailableError extends Error {
  override readonly name = 'RoutingUnavailableError';
  constructor(override readonly cause: unknown) {
    super(`the Block registry could not be read: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
