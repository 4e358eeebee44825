/** normalizeNow: the normalizer function's path, a result at once when routing answered at once, the same result as normalize(). */
import { normalize, normalizeNow, type NormalizeInput } from '../../shared/normalize/normalize';
import { RoutingUnavailableError, staticRouter, type Router } from '../../shared/normalize/router';
import { whatsapp } from '../fixtures/normalize/whatsapp';
import { BLK, RECEIVED_AT, WS } from './support';

const ROUTE = { workspaceId: WS, blockId: BLK };
const input: NormalizeInput = {
  platform: 'whatsapp',
  kind: 'webhook',
  body: JSON.stringify(whatsapp.text),
  receivedAt: RECEIVED_AT,
  requestId: 'req_now',
};
const now = () => new Date('2024-03-31T10:15:32.000Z');

it('answers at once (no promise) when the router does, with what normalize() resolves to', async () => {
  const result = normalizeNow(input, staticRouter(ROUTE), { now });
  expect(result).not.toBeInstanceOf(Promise);
  expect(result).toEqual(await normalize(input, staticRouter(ROUTE), { now }));
  expect(result).toMatchObject({ envelopes: [{ type: 'messaging.message.received', workspace_id: WS, block_id: BLK }], rejections: [] });
});

it('answers with a promise of the same result while a lookup is pending', async () => {
  const pending: Router = { byAccounts: () => Promise.resolve(ROUTE), byBlockId: () => Promise.resolve(ROUTE) };
  const result = normalizeNow(input, pending, { now });
  expect(result).toBeInstanceOf(Promise);
  await expect(result).resolves.toEqual(await normalize(input, staticRouter(ROUTE), { now }));
});

it('throws RoutingUnavailableError at once for a router that fails at once; normalize() rejects with it', async () => {
  const broken: Router = {
    byAccounts: () => {
      throw new Error('14 UNAVAILABLE');
    },
    byBlockId: () => undefined,
  };
  expect(() => normalizeNow(input, broken)).toThrow(RoutingUnavailableError);
  await expect(normalize(input, broken)).rejects.toBeInstanceOf(RoutingUnavailableError);
});
