/**
 * The Telegram connector against the local fake of the Bot API: what it asks
 * Telegram, and how Telegram's documented errors become ConnectError reasons.
 */
import { ConnectError, type ConnectContext } from '../../shared/platform-kit/connect';
import { newTelegramSecretToken, telegramConnector } from '../../shared/platforms/telegram/connect';
import { MAPPED_UPDATE_KINDS } from '../../shared/platforms/telegram/normalize';
import { createLogger } from '../../shared/runtime/log';
import { FakeTelegramApi } from '../../scripts/lib/fakes/telegram-api';

const fake = new FakeTelegramApi();
const BOT = { id: 424242, username: 'unit_bot' };
const TOKEN = `${BOT.id}:AAF${'z'.repeat(32)}`;
let ctx: ConnectContext;

beforeAll(async () => {
  await fake.start();
  fake.addBot(TOKEN, BOT);
  ctx = { webhookUrl: 'https://example.test/webhook', apiBase: fake.url, fetch, log: createLogger({}, { level: 'silent' }) };
});
afterAll(() => fake.stop());

const reasonOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    if (err instanceof ConnectError) return { reason: err.reason, message: err.message, code: err.platformCode };
    throw err;
  }
  throw new Error('did not fail');
};

it('asks for exactly the update kinds the normalizer maps, including the ones Telegram leaves out by default', () => {
  expect(MAPPED_UPDATE_KINDS).toEqual(
    expect.arrayContaining(['message', 'callback_query', 'message_reaction', 'chat_member', 'my_chat_member']),
  );
});

it('secret tokens are 43 characters of Telegram’s alphabet, and fresh each time', () => {
  const a = newTelegramSecretToken();
  expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(newTelegramSecretToken()).not.toBe(a);
});

it('identifies the bot, registers, confirms, checks and unregisters', async () => {
  const creds = telegramConnector.parseCredentials({ bot_token: TOKEN });
  expect(await telegramConnector.identify(ctx, creds)).toEqual({ accountId: String(BOT.id), name: '@unit_bot' });
  const secrets = telegramConnector.newSecrets(creds);
  await telegramConnector.register(ctx, creds, secrets);
  expect(fake.webhookOf(BOT.id)).toMatchObject({
    url: ctx.webhookUrl,
    secret_token: (secrets.telegram_secret_tokens as string[])[0],
    allowed_updates: [...MAPPED_UPDATE_KINDS],
  });
  await telegramConnector.confirm(ctx, creds);
  expect(await telegramConnector.check(ctx, creds)).toEqual({ registered: true, url: ctx.webhookUrl, pending: 0, ok: true });
  await telegramConnector.unregister(ctx, creds);
  await telegramConnector.unregister(ctx, creds); // nothing registered: still fine
  expect(await reasonOf(telegramConnector.confirm(ctx, creds))).toMatchObject({ reason: 'not_accepted' });
  expect(await telegramConnector.check(ctx, creds)).toMatchObject({ registered: false, ok: false });
});

it('maps Telegram’s errors: 401 bad_credentials, setWebhook 400 not_accepted, 5xx platform_error', async () => {
  const creds = { bot_token: `1:AAF${'q'.repeat(32)}` };
  expect(await reasonOf(telegramConnector.identify(ctx, creds))).toEqual({
    reason: 'bad_credentials',
    message: 'Unauthorized',
    code: '401',
  });
  const good = { bot_token: TOKEN };
  fake.failNext('setWebhook', {
    error_code: 400,
    description: 'Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443',
  });
  expect(await reasonOf(telegramConnector.register(ctx, good, telegramConnector.newSecrets(good)))).toMatchObject({
    reason: 'not_accepted',
    message: 'Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443',
  });
  fake.failNext('getMe', { error_code: 502, description: 'Bad Gateway' });
  expect(await reasonOf(telegramConnector.identify(ctx, good))).toMatchObject({ reason: 'platform_error', message: 'Bad Gateway' });
  fake.failNext('setWebhook', { error_code: 429, description: 'Too Many Requests: retry after 5' });
  expect(await reasonOf(telegramConnector.register(ctx, good, telegramConnector.newSecrets(good)))).toMatchObject({
    reason: 'platform_error',
    code: '429',
  });
});

it('refuses a malformed token without calling Telegram, and never names the token when Telegram is unreachable', async () => {
  expect(() => telegramConnector.parseCredentials({ bot_token: 'nope' })).toThrow(ConnectError);
  expect(() => telegramConnector.parseCredentials({})).toThrow(ConnectError);
  const unreachable = { ...ctx, apiBase: 'http://127.0.0.1:9' };
  const failure = await reasonOf(telegramConnector.identify(unreachable, { bot_token: TOKEN }));
  expect(failure.reason).toBe('platform_error');
  expect(failure.message).not.toContain(TOKEN.split(':')[1]);
});

it('rotates: the new token first, both kept until settled', () => {
  const next = telegramConnector.rotate!.next({ telegram_bot_token: TOKEN, telegram_secret_tokens: ['old'] });
  expect(next.telegram_secret_tokens).toEqual([expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), 'old']);
  expect(telegramConnector.rotate!.settle(next)).toEqual({
    telegram_bot_token: TOKEN,
    telegram_secret_tokens: [(next.telegram_secret_tokens as string[])[0]],
  });
});
