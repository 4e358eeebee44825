/** The routing deadline (boundedRouter) and its setting; the route cache (cachedRouter); both as the normalizer uses them. */
import { ConfigError } from '../../shared/runtime/env';
import { normalizerConfig } from '../../shared/normalize/config';
import {
  RoutingTimeoutError,
  boundedRouter,
  cachedBoundedRouter,
  cachedRouter,
  registryRouter,
  type Router,
} from '../../shared/normalize/router';
import type { Route } from '../../shared/platform-kit/types';
import { StaticBlockRegistry } from '../../shared/contracts/blocks';

const ROUTE = { workspaceId: 'ws_1', blockId: 'blk_1' };

function router(answer: () => ReturnType<Router['byAccounts']>): Router {
  return { byAccounts: answer, byBlockId: answer };
}

it('passes an immediate answer through as is (no promise, no timer)', () => {
  expect(
    boundedRouter(
      router(() => ROUTE),
      10,
    ).byAccounts('line', ['U1']),
  ).toBe(ROUTE);
  expect(
    boundedRouter(
      router(() => undefined),
      10,
    ).byBlockId('blk_1'),
  ).toBeUndefined();
});

it('resolves with a lookup that answers in time', async () => {
  const slow = router(() => new Promise((resolve) => setTimeout(() => resolve(ROUTE), 5)));
  await expect(boundedRouter(slow, 1000).byAccounts('whatsapp', ['1'])).resolves.toEqual(ROUTE);
});

it('fails a lookup that does not answer in time, naming what it looked up', async () => {
  const never = router(() => new Promise<never>(() => {}));
  const answer = boundedRouter(never, 20).byAccounts('whatsapp', ['106540352242922', '42']);
  await expect(answer).rejects.toBeInstanceOf(RoutingTimeoutError);
  await expect(answer).rejects.toThrow('the lookup of whatsapp account 106540352242922 or 42 did not answer within 20 ms');
  await expect(boundedRouter(never, 20).byBlockId('blk_9')).rejects.toThrow('the lookup of Block blk_9 did not answer within 20 ms');
});

it("passes a failing lookup's own error through", async () => {
  const failing = router(() => Promise.reject(new Error('14 UNAVAILABLE')));
  await expect(boundedRouter(failing, 1000).byAccounts('line', ['U1'])).rejects.toThrow('14 UNAVAILABLE');
});

it('reads NORMALIZER_ROUTING_TIMEOUT_MS, 10 s by default, and refuses nonsense', () => {
  expect(normalizerConfig({}).routingTimeoutMs).toBe(10_000);
  expect(normalizerConfig({ NORMALIZER_ROUTING_TIMEOUT_MS: '2500' }).routingTimeoutMs).toBe(2500);
  expect(() => normalizerConfig({ NORMALIZER_ROUTING_TIMEOUT_MS: '0' })).toThrow(ConfigError);
  expect(() => normalizerConfig({ NORMALIZER_ROUTING_TIMEOUT_MS: 'soon' })).toThrow(/NORMALIZER_ROUTING_TIMEOUT_MS/);
});

describe('cachedRouter', () => {
  const registry = new StaticBlockRegistry([
    { block_id: 'blk_wa', workspace_id: 'ws_1', platform: 'whatsapp', account_id: '1065', status: 'connected' },
  ]);
  const looked: string[] = [];
  const lookups = registryRouter(registry, async () => undefined);
  const counting: Router = {
    byAccounts: (platform, accounts) => {
      looked.push(accounts.join(','));
      return lookups.byAccounts(platform, accounts);
    },
    byBlockId: (blockId) => lookups.byBlockId(blockId),
  };
  beforeEach(() => (looked.length = 0));

  it('answers a repeated lookup from memory, at once (no promise), a Block and "none" alike', async () => {
    const router = cachedRouter(counting, 60_000);
    await expect(router.byAccounts('whatsapp', ['1065'])).resolves.toEqual({ workspaceId: 'ws_1', blockId: 'blk_wa' });
    expect(router.byAccounts('whatsapp', ['1065'])).toEqual({ workspaceId: 'ws_1', blockId: 'blk_wa' });
    await expect(router.byAccounts('whatsapp', ['999'])).resolves.toBeUndefined();
    expect(router.byAccounts('whatsapp', ['999'])).toBeUndefined();
    // Another platform's same account id is another lookup.
    await expect(router.byAccounts('messenger', ['1065'])).resolves.toBeUndefined();
    expect(looked).toEqual(['1065', '999', '1065']);
  });

  it('looks up again once the time to live has passed, and never with a time to live of 0', async () => {
    let now = 1_000;
    const router = cachedRouter(counting, 100, () => now);
    await router.byAccounts('whatsapp', ['1065']);
    now += 99;
    expect(router.byAccounts('whatsapp', ['1065'])).toEqual({ workspaceId: 'ws_1', blockId: 'blk_wa' });
    now += 1;
    await expect(router.byAccounts('whatsapp', ['1065'])).resolves.toEqual({ workspaceId: 'ws_1', blockId: 'blk_wa' });
    const uncached = cachedRouter(counting, 0);
    await uncached.byAccounts('whatsapp', ['1065']);
    await uncached.byAccounts('whatsapp', ['1065']);
    expect(looked).toEqual(['1065', '1065', '1065', '1065']);
  });

  it('keeps no failed lookup: the next message asks again', async () => {
    let fail = true;
    const flaky: Router = {
      byAccounts: () => (fail ? Promise.reject(new Error('14 UNAVAILABLE')) : ROUTE),
      byBlockId: () => undefined,
    };
    const router = cachedRouter(flaky, 60_000);
    await expect(router.byAccounts('line', ['U1'])).rejects.toThrow('14 UNAVAILABLE');
    fail = false;
    expect(router.byAccounts('line', ['U1'])).toBe(ROUTE);
  });

  it('passes Block-by-id reads through uncached', async () => {
    let reads = 0;
    const router = cachedRouter({ byAccounts: () => undefined, byBlockId: () => (reads++, Promise.resolve(ROUTE)) }, 60_000);
    await expect(router.byBlockId('blk_1')).resolves.toEqual(ROUTE);
    await expect(router.byBlockId('blk_1')).resolves.toEqual(ROUTE);
    expect(reads).toBe(2);
  });
});

it('keeps what a lookup found after its deadline passed: the retry is answered from memory, with no second lookup', async () => {
  let lookups = 0;
  let answer!: (route: Route | undefined) => void;
  const late = router(() => {
    lookups++;
    return new Promise((resolve) => (answer = resolve));
  });
  const routes = cachedBoundedRouter(late, 60_000, 20);
  await expect(routes.byAccounts('whatsapp', ['1'])).rejects.toThrow(RoutingTimeoutError);
  answer(ROUTE);
  await new Promise((resolve) => setImmediate(resolve));
  expect(routes.byAccounts('whatsapp', ['1'])).toEqual(ROUTE);
  expect(lookups).toBe(1);
});
