/**
 * Connecting a Telegram Block end to end: the real blocks-api and
 * webhook-telegram functions (functions-framework servers), Firestore and
 * Pub/Sub on the emulators, and a local fake of the Bot API
 * (scripts/lib/fakes/telegram-api.ts) that registers webhooks and delivers updates
 * with the registered secret token, as Telegram does.
 */
import { randomBytes } from 'node:crypto';
import { accountKey, BLOCK_SECRETS, blockStores, telegramTokenKey } from '../../shared/contracts/blocks';
import { blockIdFor } from '../../shared/blocks/service';
import { MAPPED_UPDATE_KINDS } from '../../shared/platforms/telegram/normalize';
import { getFirestore } from '../../shared/runtime/gcp';
import { FakeTelegramApi } from '../../scripts/lib/fakes/telegram-api';
import { blocksHarness, expectBadCredentials, expectCreated, secretsOf } from './harness';

jest.setTimeout(60_000);

const run = randomBytes(4).toString('hex');
const WS = `ws_blocks_${run}`;
const botToken = (id: number) => `${id}:AAH${run}${'x'.repeat(30)}${id}`;
const BOT = { id: 700_000_000 + parseInt(run.slice(0, 5), 16), username: `convotic_${run}_bot` };
const TOKEN = botToken(BOT.id);
const update = (id: number) => ({
  update_id: id,
  message: {
    message_id: id,
    date: 1711878930,
    chat: { id: 5, type: 'private' },
    from: { id: 5, is_bot: false, first_name: 'A' },
    text: 'hi',
  },
});

const fake = new FakeTelegramApi();
const h = blocksHarness({
  topics: 'blocks',
  fake,
  webhooks: ['telegram'],
  env: () => ({ LOG_LEVEL: 'debug', TELEGRAM_API_BASE: fake.url }),
});
/** Everything the functions wrote to stdout (their log lines), every API answer, every event. */
const { api, newEvents, logLines } = h;

const connect = (token: string, ws = WS) =>
  api('POST', `/workspaces/${ws}/blocks`, { platform: 'telegram', credentials: { bot_token: token } });

beforeAll(() => {
  fake.addBot(TOKEN, BOT);
});

describe('a Telegram Block, connected through the blocks API', () => {
  const blockId = blockIdFor('telegram', String(BOT.id), WS);

  it('connects: getMe, setWebhook with our URL, a secret token and the mapped update kinds; writes the Block; publishes platform.block.connected', async () => {
    const res = await connect(TOKEN);
    expectCreated(res, { block_id: blockId, workspace_id: WS, platform: 'telegram', account_id: String(BOT.id), name: `@${BOT.username}` });
    const hook = fake.webhookOf(BOT.id)!;
    expect(hook.url).toBe(h.hooks.telegram);
    expect(hook.secret_token).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
    expect(hook.allowed_updates).toEqual([...MAPPED_UPDATE_KINDS]);
    expect(fake.calls.filter((c) => c.bot === BOT.id).map((c) => c.method)).toEqual(['getMe', 'setWebhook', 'getWebhookInfo']);

    const stores = blockStores();
    expect((await stores.registry.collection('blocks').doc(blockId).get()).get('status')).toBe('connected');
    const secrets = (await stores.secrets.collection(BLOCK_SECRETS).doc(blockId).get()).data();
    expect(secrets).toEqual({ telegram_bot_token: TOKEN, telegram_secret_tokens: [hook.secret_token] });
    // The bot token is only in the secrets database.
    expect(JSON.stringify((await stores.registry.collection('blocks').doc(blockId).get()).data())).not.toContain(TOKEN);
    expect((await stores.registry.collection('block_accounts').doc(telegramTokenKey(hook.secret_token!)).get()).get('block_id')).toBe(
      blockId,
    );

    await h.expectConnectedEvent({
      block_id: blockId,
      workspace_id: WS,
      platform: 'telegram',
      account_id: String(BOT.id),
      name: `@${BOT.username}`,
    });
  });

  it('takes the fake platform’s delivery with the registered secret token at the edge', async () => {
    expect(await fake.deliver(BOT.id, update(1))).toBe(200);
    const [message] = await h.raw.pull(1);
    expect(message!.attributes).toMatchObject({ platform: 'telegram', block_id: blockId, workspace_id: WS });
    expect(fake.webhookOf(BOT.id)!.last_error_message).toBeUndefined();
  });

  it('is idempotent: the same connect again is the same Block, registered once, announced once', async () => {
    const setWebhooks = fake.calls.filter((c) => c.method === 'setWebhook').length;
    const res = await connect(TOKEN);
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ created: false, block: { block_id: blockId, status: 'connected' } });
    expect(fake.calls.filter((c) => c.method === 'setWebhook')).toHaveLength(setWebhooks);
    expect(await newEvents(0)).toEqual([]);
    const list = await api('GET', `/workspaces/${WS}/blocks`);
    expect((list.json() as { blocks: unknown[] }).blocks).toHaveLength(1);
    expect((await api('GET', `/workspaces/${WS}/blocks/${blockId}`)).json()).toMatchObject({ block: { block_id: blockId } });
  });

  it('rotates the secret token: old and new both accepted until setWebhook switched, then only the new', async () => {
    const old = fake.webhookOf(BOT.id)!.secret_token!;
    let during: { old: number; next: number; nextToken: string } | undefined;
    fake.beforeSetWebhook = async (_bot, params) => {
      const nextToken = params.secret_token as string;
      during = {
        old: await fake.deliver(BOT.id, update(2), { secretToken: old }),
        next: await fake.deliver(BOT.id, update(3), { url: h.hooks.telegram, secretToken: nextToken }),
        nextToken,
      };
    };
    try {
      const res = await api('POST', `/workspaces/${WS}/blocks/${blockId}/rotate`);
      expect(res.status).toBe(200);
    } finally {
      fake.beforeSetWebhook = undefined;
    }
    expect(during).toMatchObject({ old: 200, next: 200 });
    const current = fake.webhookOf(BOT.id)!.secret_token!;
    expect(current).toBe(during!.nextToken);
    expect(current).not.toBe(old);
    await h.raw.pull(2);
    expect(await fake.deliver(BOT.id, update(4))).toBe(200);
    expect(await fake.deliver(BOT.id, update(5), { url: h.hooks.telegram, secretToken: old })).toBe(401);
    const secrets = (await blockStores().secrets.collection(BLOCK_SECRETS).doc(blockId).get()).data();
    expect(secrets?.telegram_secret_tokens).toEqual([current]);
    expect((await getFirestore().collection('block_accounts').doc(telegramTokenKey(old)).get()).exists).toBe(false);
    await h.raw.pull(1);
    expect(await newEvents(0)).toEqual([]);
  });

  it('checks the webhook: healthy says so; a delivery error Telegram reports becomes platform.block.error with its reason', async () => {
    const healthy = await api('POST', `/workspaces/${WS}/blocks/${blockId}/check`);
    expect(healthy.status).toBe(200);
    expect(healthy.json()).toMatchObject({ webhook: { ok: true, registered: true, url: h.hooks.telegram, pending: 0 } });
    expect(await newEvents(0)).toEqual([]);

    // A delivery the edge refuses (another token): Telegram records it as the webhook's last error.
    expect(await fake.deliver(BOT.id, update(6), { secretToken: 'not-the-token' })).toBe(401);
    const res = await api('POST', `/workspaces/${WS}/blocks/${blockId}/check`);
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({
      webhook: { ok: false, registered: true, pending: 1, lastError: { message: 'Wrong response from the webhook: 401 Unauthorized' } },
      error_event_id: expect.any(String),
    });
    const [event] = await newEvents(1);
    expect(event).toMatchObject({
      type: 'platform.block.error',
      block_id: blockId,
      data: {
        account_id: String(BOT.id),
        error: { code: 'webhook_delivery_error', message: 'Wrong response from the webhook: 401 Unauthorized' },
      },
    });
    // Checked again, the same error is the same event (deduplicated by id downstream).
    const again = (await api('POST', `/workspaces/${WS}/blocks/${blockId}/check`)).json() as { error_event_id: string };
    expect(again.error_event_id).toBe((res.json() as { error_event_id: string }).error_event_id);
    await newEvents(1);
    delete fake.webhookOf(BOT.id)!.last_error_message;
    delete fake.webhookOf(BOT.id)!.last_error_date;
  });

  it('disconnects: deleteWebhook, the Block disconnected, lookups and secrets gone, platform.block.disconnected; the next delivery is refused', async () => {
    const token = fake.webhookOf(BOT.id)!.secret_token!;
    const res = await api('POST', `/workspaces/${WS}/blocks/${blockId}/disconnect`);
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ changed: true, block: { block_id: blockId, status: 'disconnected' } });
    expect(fake.webhookOf(BOT.id)).toBeUndefined();
    const stores = blockStores();
    expect((await stores.secrets.collection(BLOCK_SECRETS).doc(blockId).get()).exists).toBe(false);
    expect((await stores.registry.collection('block_accounts').doc(telegramTokenKey(token)).get()).exists).toBe(false);
    expect(
      (
        await stores.registry
          .collection('block_accounts')
          .doc(accountKey('telegram', String(BOT.id)))
          .get()
      ).exists,
    ).toBe(false);
    const [event] = await newEvents(1);
    expect(event).toMatchObject({
      type: 'platform.block.disconnected',
      block_id: blockId,
      data: { account_id: String(BOT.id), reason: 'requested' },
    });

    // An update Telegram had in flight, delivered after the disconnect.
    expect(await fake.deliver(BOT.id, update(7), { url: h.hooks.telegram, secretToken: token })).toBe(401);
    // Disconnecting again changes nothing.
    expect((await api('POST', `/workspaces/${WS}/blocks/${blockId}/disconnect`)).json()).toMatchObject({ changed: false });
    expect(await newEvents(0)).toEqual([]);
  });

  it('connects again after a disconnect: a new generation, announced again', async () => {
    const res = await connect(TOKEN);
    expect(res.status).toBe(201);
    const [event] = await newEvents(1);
    expect(event).toMatchObject({ type: 'platform.block.connected', block_id: blockId });
    expect(await fake.deliver(BOT.id, update(8))).toBe(200);
    await h.raw.pull(1);
    expect((await api('POST', `/workspaces/${WS}/blocks/${blockId}/disconnect`)).status).toBe(200);
    await newEvents(1);
  });
});

describe('failures leave nothing behind', () => {
  const emptyWorkspace = async (ws: string) => {
    const blocks = await getFirestore().collection('blocks').where('workspace_id', '==', ws).get();
    expect(blocks.size).toBe(0);
  };

  it('a bad token: 400 with Telegram’s description, nothing registered, nothing written', async () => {
    const ws = `${WS}_bad`;
    const res = await connect(botToken(123456), ws);
    expectBadCredentials(res, 'telegram', 'Unauthorized', '401');
    expect(fake.webhookOf(123456)).toBeUndefined();
    await emptyWorkspace(ws);
    expect(await newEvents(0)).toEqual([]);
  });

  it('a malformed token is refused before Telegram is asked', async () => {
    const calls = fake.calls.length;
    const res = await connect('not-a-token', `${WS}_bad`);
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ code: 'bad_credentials' });
    expect(fake.calls).toHaveLength(calls);
  });

  it('setWebhook failing mid-connect: 422 with Telegram’s description, the registration undone, nothing written', async () => {
    const ws = `${WS}_fail`;
    const bot = { id: BOT.id + 1, username: `other_${run}_bot` };
    fake.addBot(botToken(bot.id), bot);
    fake.failNext('setWebhook', {
      error_code: 400,
      description: 'Bad Request: bad webhook: Failed to resolve host: Name or service not known',
    });
    const res = await connect(botToken(bot.id), ws);
    expect(res.status).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'not_accepted',
      detail: 'telegram: Bad Request: bad webhook: Failed to resolve host: Name or service not known',
    });
    expect(fake.webhookOf(bot.id)).toBeUndefined();
    expect(fake.calls.filter((c) => c.bot === bot.id).map((c) => c.method)).toEqual(['getMe', 'setWebhook', 'deleteWebhook']);
    await emptyWorkspace(ws);
    expect((await secretsOf(blockIdFor('telegram', String(bot.id), ws)).get()).exists).toBe(false);
    expect(await newEvents(0)).toEqual([]);
  });

  it('getWebhookInfo failing after setWebhook: 502 with Telegram’s description, unregistered, nothing written', async () => {
    const ws = `${WS}_unconfirmed`;
    const bot = { id: BOT.id + 2, username: `third_${run}_bot` };
    fake.addBot(botToken(bot.id), bot);
    fake.failNext('getWebhookInfo', { error_code: 500, description: 'Internal Server Error' });
    const res = await connect(botToken(bot.id), ws);
    expect(res.status).toBe(502);
    expect(res.json()).toMatchObject({ code: 'platform_error', detail: 'telegram: Internal Server Error' });
    expect(fake.webhookOf(bot.id)).toBeUndefined();
    await emptyWorkspace(ws);
    expect(await newEvents(0)).toEqual([]);
  });

  it('an account connected in another workspace: 409, the other Block untouched', async () => {
    const bot = { id: BOT.id + 3, username: `fourth_${run}_bot` };
    fake.addBot(botToken(bot.id), bot);
    expect((await connect(botToken(bot.id), `${WS}_a`)).status).toBe(201);
    await newEvents(1);
    const hook = { ...fake.webhookOf(bot.id)! };
    const res = await connect(botToken(bot.id), `${WS}_b`);
    expect(res.status).toBe(409);
    expect(res.json()).toMatchObject({ code: 'account_in_use' });
    expect(fake.webhookOf(bot.id)).toEqual(hook);
    expect(await newEvents(0)).toEqual([]);
  });
});

describe('a bot token revoked at BotFather', () => {
  it('check publishes platform.block.error bad_credentials; disconnect still disconnects (credentials_refused)', async () => {
    const ws = `${WS}_revoked`;
    const bot = { id: BOT.id + 6, username: `revoked_${run}_bot` };
    const token = botToken(bot.id);
    fake.addBot(token, bot);
    expect((await connect(token, ws)).status).toBe(201);
    await newEvents(1);
    const blockId = blockIdFor('telegram', String(bot.id), ws);
    fake.revoke(token);

    const checked = await api('POST', `/workspaces/${ws}/blocks/${blockId}/check`);
    expect(checked.status).toBe(200);
    expect(checked.json()).toMatchObject({ webhook: { ok: false, error: 'Unauthorized' } });
    const [error] = await newEvents(1);
    expect(error).toMatchObject({ type: 'platform.block.error', data: { error: { code: 'bad_credentials', message: 'Unauthorized' } } });

    const res = await api('POST', `/workspaces/${ws}/blocks/${blockId}/disconnect`);
    expect(res.status).toBe(200);
    const [event] = await newEvents(1);
    expect(event).toMatchObject({ type: 'platform.block.disconnected', data: { reason: 'credentials_refused' } });
    expect((await blockStores().secrets.collection(BLOCK_SECRETS).doc(blockId).get()).exists).toBe(false);
  });
});

describe('concurrent connects', () => {
  it('two connects of one bot at once: one connects, the other waits its turn (409) or finds it connected; Telegram and the store agree', async () => {
    const ws = `${WS}_race`;
    const bot = { id: BOT.id + 5, username: `race_${run}_bot` };
    fake.addBot(botToken(bot.id), bot);
    const answers = await Promise.all([connect(botToken(bot.id), ws), connect(botToken(bot.id), ws)]);
    const statuses = answers.map((a) => a.status).sort();
    expect([
      [201, 409],
      [200, 201],
    ]).toContainEqual(statuses);
    const blockId = blockIdFor('telegram', String(bot.id), ws);
    const secrets = (await blockStores().secrets.collection(BLOCK_SECRETS).doc(blockId).get()).data();
    expect(secrets?.telegram_secret_tokens).toEqual([fake.webhookOf(bot.id)!.secret_token]);
    expect(await newEvents(1)).toHaveLength(1);
    expect(await fake.deliver(bot.id, update(20))).toBe(200);
    await h.raw.pull(1);
  });
});

describe('npm run blocks', () => {
  const { cli } = h;

  it('connects, lists, checks and disconnects a Telegram bot against the API, the token from the environment', async () => {
    const ws = `${WS}_cli`;
    const bot = { id: BOT.id + 4, username: `cli_${run}_bot` };
    const token = botToken(bot.id);
    fake.addBot(token, bot);
    const blockId = blockIdFor('telegram', String(bot.id), ws);

    const connected = await cli(['connect', '--workspace', ws, '--platform', 'telegram'], { TELEGRAM_BOT_TOKEN: token });
    expect(connected).toEqual({ code: 0, out: expect.stringContaining(`${blockId}  telegram ${bot.id} @${bot.username}  connected`) });
    expect(fake.webhookOf(bot.id)?.url).toBe(h.hooks.telegram);
    await newEvents(1);
    expect((await cli(['list', '-w', ws])).out).toContain(blockId);
    expect(await cli(['check', '-w', ws, blockId])).toMatchObject({ code: 0, out: expect.stringContaining('"ok":true') });
    expect(await cli(['disconnect', '-w', ws, blockId])).toMatchObject({ code: 0, out: expect.stringContaining('disconnected') });
    await newEvents(1);
    const refused = await cli(['connect', '-w', ws, '--platform', 'telegram'], { TELEGRAM_BOT_TOKEN: botToken(99) });
    expect(refused).toEqual({ code: 1, out: expect.stringContaining('400 bad_credentials: telegram: Unauthorized') });
    expect(await cli(['show', '-w', ws])).toMatchObject({ code: 2 });
    for (const output of [connected.out, refused.out]) expect(output).not.toContain(token.split(':')[1]);
  }, 60_000);
});

describe('secrets stay secret', () => {
  it('no bot token or secret token in any log line, API answer or event', () => {
    const secrets = [TOKEN, ...fake.issuedSecretTokens];
    expect(fake.issuedSecretTokens.length).toBeGreaterThanOrEqual(3);
    expect(logLines.length).toBeGreaterThan(0);
    const everything = h.everything();
    const leaks = everything.filter(([, text]) => secrets.some((s) => text!.includes(s)));
    expect(leaks).toEqual([]);
    // The token's secret half alone must not leak either.
    expect(everything.filter(([, text]) => text!.includes(TOKEN.split(':')[1]!))).toEqual([]);
  });
});
