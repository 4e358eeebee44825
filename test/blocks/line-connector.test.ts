/**
 * The LINE connector against the local fake of the Messaging API: what it
 * asks LINE, and how LINE's documented errors and webhook test results become
 * ConnectError reasons. The webhook here is a small server that checks the
 * signature with the channel secret, as our edge does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectError, type ConnectContext } from '../../shared/platform-kit/connect';
import { LINE_SECRET_GRACE_MS, lineConnector } from '../../shared/platforms/line/connect';
import { verifyLineSignature } from '../../shared/platforms/line/verify';
import { createLogger } from '../../shared/runtime/log';
import { FakeLineApi, LINE_UNAUTHORIZED } from '../../scripts/lib/fakes/line-api';

const fake = new FakeLineApi();
const SECRET = 'a'.repeat(32);
const BOT = { userId: `U${'1'.repeat(32)}`, basicId: '@unit', displayName: 'Unit bot', channelSecret: SECRET };
const TOKEN = `tok${'Z'.repeat(60)}=`;
const CREDS = { channel_access_token: TOKEN, channel_secret: SECRET };
/** The secrets the webhook accepts (what the Block's secrets would be). */
let accepted: string[] = [SECRET];
const received: Array<{ destination: string; events: unknown[] }> = [];
let webhook: http.Server;
let ctx: ConnectContext;

beforeAll(async () => {
  await fake.start();
  fake.addBot(TOKEN, BOT);
  webhook = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const ok = verifyLineSignature(raw, req.headers, accepted).ok;
      if (ok) received.push(JSON.parse(raw.toString('utf8')) as { destination: string; events: unknown[] });
      res.writeHead(ok ? 200 : 401).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  const webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/`;
  ctx = { webhookUrl, apiBase: fake.url, fetch, log: createLogger({}, { level: 'silent' }) };
});
afterAll(async () => {
  webhook.closeAllConnections();
  await new Promise<void>((resolve) => webhook.close(() => resolve()));
  await fake.stop();
});

const reasonOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    if (err instanceof ConnectError) return { reason: err.reason, message: err.message, code: err.platformCode };
    throw err;
  }
  throw new Error('did not fail');
};

it('identifies the bot by its user id, registers, confirms with a signed webhook test, and checks', async () => {
  const creds = lineConnector.parseCredentials(CREDS);
  expect(await lineConnector.identify(ctx, creds)).toEqual({ accountId: BOT.userId, name: 'Unit bot' });
  const secrets = lineConnector.newSecrets(creds);
  expect(secrets).toEqual({ line_channel_access_token: TOKEN, line_channel_secrets: [SECRET] });
  await lineConnector.register(ctx, creds, secrets);
  expect(fake.webhookOf(BOT.userId)).toEqual({ endpoint: ctx.webhookUrl, active: true });
  await lineConnector.confirm(ctx, creds);
  expect(received).toEqual([{ destination: BOT.userId, events: [] }]);
  expect(await lineConnector.check(ctx, creds)).toEqual({ registered: true, url: ctx.webhookUrl, active: true, ok: true });
  expect(lineConnector.storedCredentials(secrets)).toEqual(creds);
});

it('confirm fails with LINE’s reason when our webhook refuses the test; check reports it as the last error', async () => {
  accepted = ['b'.repeat(32)];
  try {
    expect(await reasonOf(lineConnector.confirm(ctx, CREDS))).toEqual({
      reason: 'not_accepted',
      message:
        'webhook test failed: ERROR_STATUS_CODE (HTTP 401): The webhook returned an HTTP status code other than 200.(401 Unauthorized)',
      code: 'ERROR_STATUS_CODE',
    });
    expect(await lineConnector.check(ctx, CREDS)).toMatchObject({
      registered: true,
      ok: false,
      lastError: { message: expect.stringContaining('ERROR_STATUS_CODE (HTTP 401)'), at: expect.any(String) },
    });
  } finally {
    accepted = [SECRET];
  }
});

it('confirm and check refuse a webhook LINE does not use ("Use webhook" off) or another URL', async () => {
  fake.setActive(BOT.userId, false);
  expect(await reasonOf(lineConnector.confirm(ctx, CREDS))).toMatchObject({
    reason: 'not_accepted',
    message: expect.stringContaining('Use webhook'),
  });
  expect(await lineConnector.check(ctx, CREDS)).toMatchObject({ registered: true, active: false, ok: false });
  fake.setActive(BOT.userId, true);
  expect(await reasonOf(lineConnector.confirm({ ...ctx, webhookUrl: 'https://elsewhere.test/' }, CREDS))).toMatchObject({
    reason: 'not_accepted',
    message: 'LINE reports the webhook URL as another URL after setting it',
  });
  expect(await lineConnector.check({ ...ctx, webhookUrl: 'https://elsewhere.test/' }, CREDS)).toMatchObject({
    registered: false,
    url: ctx.webhookUrl,
    ok: false,
  });
});

it('maps LINE’s errors: 401 bad_credentials with LINE’s message, endpoint 400 not_accepted with its details, 5xx/429 platform_error', async () => {
  const bad = { ...CREDS, channel_access_token: `nope${'x'.repeat(40)}` };
  expect(await reasonOf(lineConnector.identify(ctx, bad))).toEqual({
    reason: 'bad_credentials',
    message: LINE_UNAUTHORIZED.body.message,
    code: '401',
  });
  fake.failNext('PUT /v2/bot/channel/webhook/endpoint', {
    status: 400,
    body: { message: 'The request body has 1 error(s)', details: [{ message: 'must be a valid HTTPS URL', property: 'endpoint' }] },
  });
  expect(await reasonOf(lineConnector.register(ctx, CREDS, lineConnector.newSecrets(CREDS)))).toEqual({
    reason: 'not_accepted',
    message: 'The request body has 1 error(s) (endpoint: must be a valid HTTPS URL)',
    code: '400',
  });
  fake.failNext('GET /v2/bot/info', { status: 500, body: { message: 'Internal server error' } });
  expect(await reasonOf(lineConnector.identify(ctx, CREDS))).toMatchObject({ reason: 'platform_error', message: 'Internal server error' });
  fake.failNext('POST /v2/bot/channel/webhook/test', {
    status: 429,
    body: { message: 'The API rate limit has been exceeded. Try again later.' },
  });
  expect(await reasonOf(lineConnector.confirm(ctx, CREDS))).toMatchObject({ reason: 'platform_error', code: '429' });
});

it('refuses malformed credentials without calling LINE, and never names the token or secret when LINE is unreachable', async () => {
  const calls = fake.calls.length;
  expect(() => lineConnector.parseCredentials({ channel_access_token: TOKEN })).toThrow(ConnectError);
  expect(() => lineConnector.parseCredentials({ channel_access_token: TOKEN, channel_secret: 'short' })).toThrow(ConnectError);
  expect(() => lineConnector.parseCredentials({ channel_access_token: 'a b', channel_secret: SECRET })).toThrow(ConnectError);
  expect(fake.calls).toHaveLength(calls);
  const failure = await reasonOf(lineConnector.identify({ ...ctx, apiBase: 'http://127.0.0.1:9' }, CREDS));
  expect(failure.reason).toBe('platform_error');
  expect(failure.message).not.toContain(TOKEN);
});

it('unregister is safe without a registration (LINE has no call that removes the endpoint)', async () => {
  const calls = fake.calls.length;
  await lineConnector.unregister(ctx, CREDS);
  expect(fake.calls).toHaveLength(calls);
});

it('rotates to a reissued secret: new first, the old kept until the grace period passed, then settled away', () => {
  const rotation = lineConnector.rotate!;
  const fresh = 'c'.repeat(32);
  expect(rotation.parseInput!({ channel_secret: fresh })).toBe(fresh);
  expect(() => rotation.parseInput!({})).toThrow(ConnectError);
  const now = new Date('2026-01-01T00:00:00Z');
  const stored = lineConnector.newSecrets(CREDS);
  expect(() => rotation.next(stored, SECRET, now)).toThrow(ConnectError);
  const next = rotation.next(stored, fresh, now);
  const until = new Date(now.getTime() + LINE_SECRET_GRACE_MS).toISOString();
  expect(next).toEqual({ line_channel_access_token: TOKEN, line_channel_secrets: [fresh, SECRET], line_secret_grace_until: until });
  expect(rotation.confirmWith!(next).line_channel_secrets).toEqual([fresh]);
  expect(rotation.settle(next, now)).toEqual(next);
  expect(rotation.settle(next, new Date(Date.parse(until)))).toEqual({ line_channel_access_token: TOKEN, line_channel_secrets: [fresh] });
  // A second rotation during the grace period keeps only the one before it.
  expect(rotation.next(next, 'd'.repeat(32), now).line_channel_secrets).toEqual(['d'.repeat(32), fresh]);
});
