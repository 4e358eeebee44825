/** The routing deadline (boundedRouter) and its setting. */
import { ConfigError } from '../../shared/runtime/env';
import { normalizerConfig } from '../../shared/normalize/config';
import { RoutingTimeoutError, boundedRouter, type Router } from '../../shared/normalize/router';

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
