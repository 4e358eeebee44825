/**
 * Connecting a LINE Block end to end: the real blocks-api and webhook-line
 * functions (functions-framework servers), Firestore and Pub/Sub on the
 * emulators, and a local fake of the Messaging API (scripts/lib/fakes/line-api.ts)
 * that registers the webhook endpoint, runs the webhook test and delivers
 * events signed with the channel secret, as LINE does.
 */
import { randomBytes } from 'node:crypto';
import { accountKey, blockStores } from '../../shared/contracts/blocks';
import { blockIdFor } from '../../shared/blocks/service';
import { LINE_SECRET_GRACE_MS } from '../../shared/platforms/line/connect';
import { FakeLineApi, LINE_UNAUTHORIZED } from '../../scripts/lib/fakes/line-api';
import { request, type HttpResult } from '../helpers/http-client';
import { blocksHarness, expectBadCredentials, expectCreated, secretsOf } from './harness';

jest.setTimeout(60_000);

const run = randomBytes(4).toString('hex');
const WS = `ws_line_blocks_${run}`;
const hex32 = () => randomBytes(16).toString('hex');
const userIdOf = (n: number) => `U${run}${String(n).padStart(24, '0')}`;
const tokenOf = (n: number) => `lt${run}${'Q'.repeat(120)}${n}=`;
const botOf = (n: number, secret = hex32()) => ({
  userId: userIdOf(n),
  basicId: `@${run}${n}`,
  displayName: `LINE bot ${n}`,
  channelSecret: secret,
});
const BOT = botOf(1);
const TOKEN = tokenOf(1);
const SECRET = BOT.channelSecret;
const message = (n: number) => ({
  type: 'message',
  mode: 'active',
  timestamp: 1711878930000 + n,
  webhookEventId: `01H${run}${n}`,
  deliveryContext: { isRedelivery: false },
  replyToken: `rt${n}`,
  source: { type: 'user', userId: `Uuser${run}` },
  message: { id: `${n}`, type: 'text', quoteToken: `q${n}`, text: 'hi' },
});

const fake = new FakeLineApi();
const h = blocksHarness({
  topics: 'line-blocks',
  fake,
  webhooks: ['line'],
  env: () => ({ LOG_LEVEL: 'debug', LINE_API_BASE: fake.url }),
});
/** Everything the functions wrote to stdout (their log lines), every API answer, every event and raw message. */
const { api, newEvents, rawMessages, logLines } = h;
/** Every channel secret and token any test used: none may leak. */
const secretsUsed = new Set<string>([SECRET, TOKEN]);

const connect = (token: string, secret: string, ws = WS) => {
  secretsUsed.add(token).add(secret);
  return api('POST', `/workspaces/${ws}/blocks`, {
    platform: 'line',
    credentials: { channel_access_token: token, channel_secret: secret },
  });
};

const secretsDoc = async (blockId: string) => (await secretsOf(blockId).get()).data();
const blockDoc = async (blockId: string) => (await blockStores().registry.collection('blocks').doc(blockId).get()).data();
const lookup = async (userId: string) =>
  (await blockStores().registry.collection('block_accounts').doc(accountKey('line', userId)).get()).data();

/** The edge's log line for the last request LINE sent. */
function edgeLogOfLastAnswer(): string | undefined {
  const requestId = fake.lastAnswer?.requestId;
  return requestId ? logLines.find((l) => l.includes(requestId) && l.includes('webhook ')) : undefined;
}

beforeAll(() => {
  fake.addBot(TOKEN, BOT);
});

describe('a LINE Block, connected through the blocks API', () => {
  const blockId = blockIdFor('line', BOT.userId, WS);

  it('connects: bot info, our endpoint, the webhook test signed by LINE accepted at the edge with the Block written provisionally; then connected and announced', async () => {
    let duringTest: { status?: unknown; secrets?: unknown; events: unknown[] } | undefined;
    fake.beforeTest = async () => {
      duringTest = {
        status: (await blockDoc(blockId))?.status,
        secrets: (await secretsDoc(blockId))?.line_channel_secrets,
        events: await newEvents(0),
      };
    };
    let res: HttpResult;
    try {
      res = await connect(TOKEN, SECRET);
    } finally {
      fake.beforeTest = undefined;
    }
    expectCreated(res, { block_id: blockId, workspace_id: WS, platform: 'line', account_id: BOT.userId, name: BOT.displayName });
    // While LINE tested, the Block was there (connecting, not announced) with its secret.
    expect(duringTest).toEqual({ status: 'connecting', secrets: [SECRET], events: [] });
    expect(fake.webhookOf(BOT.userId)).toEqual({ endpoint: h.hooks.line, active: true });
    expect(fake.calls.filter((c) => c.bot === BOT.userId).map((c) => c.call)).toEqual([
      'GET /v2/bot/info',
      'PUT /v2/bot/channel/webhook/endpoint',
      'GET /v2/bot/channel/webhook/endpoint',
      'POST /v2/bot/channel/webhook/test',
    ]);
    expect(fake.lastAnswer?.status).toBe(200);
    const [test] = await rawMessages(1);
    expect(test!.attributes).toMatchObject({ platform: 'line', block_id: blockId, workspace_id: WS });

    expect((await blockDoc(blockId))?.status).toBe('connected');
    expect(await secretsDoc(blockId)).toEqual({ line_channel_access_token: TOKEN, line_channel_secrets: [SECRET] });
    expect(JSON.stringify(await blockDoc(blockId))).not.toContain(TOKEN);
    expect((await lookup(BOT.userId))?.block_id).toBe(blockId);

    await h.expectConnectedEvent({ block_id: blockId, workspace_id: WS, platform: 'line', account_id: BOT.userId, name: BOT.displayName });
  });

  it('takes LINE’s signed message event at the edge', async () => {
    expect(await fake.deliver(BOT.userId, [message(1)])).toBe(200);
    const [msg] = await rawMessages(1);
    expect(msg!.attributes).toMatchObject({ platform: 'line', block_id: blockId, workspace_id: WS });
  });

  it('is idempotent: the same connect again is the same Block, registered once, announced once', async () => {
    const puts = fake.calls.filter((c) => c.call.startsWith('PUT')).length;
    const res = await connect(TOKEN, SECRET);
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ created: false, block: { block_id: blockId, status: 'connected' } });
    expect(fake.calls.filter((c) => c.call.startsWith('PUT'))).toHaveLength(puts);
    expect(await newEvents(0)).toEqual([]);
    expect(((await api('GET', `/workspaces/${WS}/blocks`)).json() as { blocks: unknown[] }).blocks).toHaveLength(1);
  });

  it('rotate refuses a secret LINE does not sign with (a typo, or not reissued yet): the old one stays alone', async () => {
    const wrong = hex32();
    secretsUsed.add(wrong);
    const res = await api('POST', `/workspaces/${WS}/blocks/${blockId}/rotate`, { credentials: { channel_secret: wrong } });
    expect(res.status).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'not_accepted',
      detail: expect.stringContaining('line: webhook test failed: ERROR_STATUS_CODE (HTTP 401)'),
    });
    expect(await secretsDoc(blockId)).toEqual({ line_channel_access_token: TOKEN, line_channel_secrets: [SECRET] });
    expect(await fake.deliver(BOT.userId, [message(2)])).toBe(200);
    await rawMessages(1);
    expect(await newEvents(0)).toEqual([]);
  });

  it('rotate takes a malformed secret or a body Telegram-style (none) as 400', async () => {
    expect(
      (await api('POST', `/workspaces/${WS}/blocks/${blockId}/rotate`, { credentials: { channel_secret: 'x' } })).json(),
    ).toMatchObject({
      code: 'bad_credentials',
    });
    expect((await api('POST', `/workspaces/${WS}/blocks/${blockId}/rotate`)).status).toBe(400);
    expect((await api('POST', `/workspaces/${WS}/blocks/${blockId}/rotate`, { secret: 'x' })).json()).toMatchObject({
      code: 'unknown_parameter',
    });
  });

  it('rotates to a reissued secret: both accepted during the grace period, then the old refused and settled away', async () => {
    const fresh = hex32();
    secretsUsed.add(fresh);
    fake.reissueSecret(BOT.userId, fresh);
    const before = Date.now();
    const res = await api('POST', `/workspaces/${WS}/blocks/${blockId}/rotate`, { credentials: { channel_secret: fresh } });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ rotated: true, block: { block_id: blockId } });
    await rawMessages(1); // the webhook test, signed with the new secret
    const secrets = await secretsDoc(blockId);
    expect(secrets).toEqual({
      line_channel_access_token: TOKEN,
      line_channel_secrets: [fresh, SECRET],
      line_secret_grace_until: expect.any(String),
    });
    const until = Date.parse(secrets!.line_secret_grace_until as string);
    expect(until).toBeGreaterThanOrEqual(before + LINE_SECRET_GRACE_MS);
    expect(until).toBeLessThanOrEqual(Date.now() + LINE_SECRET_GRACE_MS);

    // During the grace period: LINE's new signature, and a redelivery signed with the old one.
    expect(await fake.deliver(BOT.userId, [message(3)])).toBe(200);
    expect(await fake.deliver(BOT.userId, [message(4)], { secret: SECRET })).toBe(200);
    await rawMessages(2);

    // The grace period over: the edge takes the new secret alone, and check settles the document.
    await secretsOf(blockId).update({ line_secret_grace_until: new Date(Date.now() - 1000).toISOString() });
    expect(await fake.deliver(BOT.userId, [message(5)], { secret: SECRET })).toBe(401);
    expect(edgeLogOfLastAnswer()).toContain('bad_signature');
    const checked = await api('POST', `/workspaces/${WS}/blocks/${blockId}/check`);
    expect(checked.json()).toMatchObject({ webhook: { ok: true } });
    await rawMessages(1);
    expect(await secretsDoc(blockId)).toEqual({ line_channel_access_token: TOKEN, line_channel_secrets: [fresh] });
    expect(await fake.deliver(BOT.userId, [message(6)])).toBe(200);
    await rawMessages(1);
    expect(await newEvents(0)).toEqual([]);
  });

  it('checks the webhook: healthy says so; a failing webhook test becomes platform.block.error with LINE’s reason', async () => {
    const healthy = await api('POST', `/workspaces/${WS}/blocks/${blockId}/check`);
    expect(healthy.status).toBe(200);
    expect(healthy.json()).toMatchObject({ webhook: { ok: true, registered: true, active: true, url: h.hooks.line } });
    await rawMessages(1);
    expect(await newEvents(0)).toEqual([]);

    // Someone reissued the secret in the console and did not rotate: LINE signs with one we do not have.
    const current = fake.secretOf(BOT.userId)!;
    fake.reissueSecret(BOT.userId, hex32());
    try {
      const res = await api('POST', `/workspaces/${WS}/blocks/${blockId}/check`);
      expect(res.status).toBe(200);
      expect(res.json()).toMatchObject({
        webhook: { ok: false, registered: true, lastError: { message: expect.stringContaining('ERROR_STATUS_CODE (HTTP 401)') } },
        error_event_id: expect.any(String),
      });
      const [event] = await newEvents(1);
      expect(event).toMatchObject({
        type: 'platform.block.error',
        block_id: blockId,
        data: { account_id: BOT.userId, error: { code: 'webhook_delivery_error', message: expect.stringContaining('ERROR_STATUS_CODE') } },
      });
    } finally {
      fake.reissueSecret(BOT.userId, current);
    }

    fake.setActive(BOT.userId, false);
    try {
      expect((await api('POST', `/workspaces/${WS}/blocks/${blockId}/check`)).json()).toMatchObject({
        webhook: { ok: false, active: false },
      });
      const [event] = await newEvents(1);
      expect(event).toMatchObject({ type: 'platform.block.error', data: { error: { message: expect.stringContaining('active: false') } } });
    } finally {
      fake.setActive(BOT.userId, true);
    }
  });

  it('disconnects: the Block disconnected, lookups and secrets gone, platform.block.disconnected; the next delivery is refused as unknown_destination', async () => {
    const res = await api('POST', `/workspaces/${WS}/blocks/${blockId}/disconnect`);
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ changed: true, block: { block_id: blockId, status: 'disconnected' } });
    expect(await secretsDoc(blockId)).toBeUndefined();
    expect(await lookup(BOT.userId)).toBeUndefined();
    // LINE has no call that removes the endpoint: it stays ours, and the edge refuses.
    expect(fake.webhookOf(BOT.userId)?.endpoint).toBe(h.hooks.line);
    const [event] = await newEvents(1);
    expect(event).toMatchObject({
      type: 'platform.block.disconnected',
      block_id: blockId,
      data: { account_id: BOT.userId, reason: 'requested' },
    });

    expect(await fake.deliver(BOT.userId, [message(7)])).toBe(401);
    expect(edgeLogOfLastAnswer()).toContain('unknown_destination');
    expect(await rawMessages(0)).toEqual([]);
    expect((await api('POST', `/workspaces/${WS}/blocks/${blockId}/disconnect`)).json()).toMatchObject({ changed: false });
    expect(await newEvents(0)).toEqual([]);
  });

  it('a failed connect over the disconnected Block leaves it disconnected as it was', async () => {
    const before = await blockDoc(blockId);
    const res = await connect(TOKEN, hex32());
    expect(res.status).toBe(422);
    expect(await blockDoc(blockId)).toEqual(before);
    expect(await secretsDoc(blockId)).toBeUndefined();
    expect(await lookup(BOT.userId)).toBeUndefined();
    expect(await newEvents(0)).toEqual([]);
    expect(await rawMessages(0)).toEqual([]);
  });

  it('connects again after a disconnect: a new generation, announced again', async () => {
    const res = await connect(TOKEN, fake.secretOf(BOT.userId)!);
    expect(res.status).toBe(201);
    await rawMessages(1);
    const [event] = await newEvents(1);
    expect(event).toMatchObject({ type: 'platform.block.connected', block_id: blockId });
    expect(await fake.deliver(BOT.userId, [message(8)])).toBe(200);
    await rawMessages(1);
    expect((await api('POST', `/workspaces/${WS}/blocks/${blockId}/disconnect`)).status).toBe(200);
    await newEvents(1);
  });
});

describe('failures leave nothing behind', () => {
  const nothingWritten = async (ws: string, userId: string) => {
    const blocks = await blockStores().registry.collection('blocks').where('workspace_id', '==', ws).get();
    expect(blocks.size).toBe(0);
    expect(await secretsDoc(blockIdFor('line', userId, ws))).toBeUndefined();
    expect(await lookup(userId)).toBeUndefined();
    expect(await newEvents(0)).toEqual([]);
    expect(await rawMessages(0)).toEqual([]);
  };

  it('a bad token: 400 with LINE’s message, nothing registered, nothing written', async () => {
    const ws = `${WS}_bad`;
    const res = await connect(tokenOf(99), hex32(), ws);
    expectBadCredentials(res, 'line', LINE_UNAUTHORIZED.body.message, '401');
    expect(fake.calls.filter((c) => c.call.startsWith('PUT') && c.bot === undefined)).toEqual([]);
    await nothingWritten(ws, userIdOf(99));
  });

  it('malformed credentials are refused before LINE is asked', async () => {
    const calls = fake.calls.length;
    const res = await api('POST', `/workspaces/${WS}_bad/blocks`, { platform: 'line', credentials: { channel_access_token: TOKEN } });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ code: 'bad_credentials', detail: expect.stringContaining('channel_secret') });
    expect(fake.calls).toHaveLength(calls);
  });

  it('the endpoint PUT failing: 422 with LINE’s message and details, nothing at LINE, nothing written', async () => {
    const ws = `${WS}_put`;
    const bot = botOf(2);
    fake.addBot(tokenOf(2), bot);
    fake.failNext('PUT /v2/bot/channel/webhook/endpoint', {
      status: 400,
      body: { message: 'The request body has 1 error(s)', details: [{ message: 'must be a valid HTTPS URL', property: 'endpoint' }] },
    });
    const res = await connect(tokenOf(2), bot.channelSecret, ws);
    expect(res.status).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'not_accepted',
      detail: 'line: The request body has 1 error(s) (endpoint: must be a valid HTTPS URL)',
      details: { platform: 'line', platform_code: '400' },
    });
    expect(fake.webhookOf(bot.userId)).toBeUndefined();
    await nothingWritten(ws, bot.userId);
  });

  it('the webhook test failing (a channel secret that is not the channel’s): 422 with LINE’s reason, the Block removed again', async () => {
    const ws = `${WS}_test`;
    const bot = botOf(3);
    fake.addBot(tokenOf(3), bot);
    const res = await connect(tokenOf(3), hex32(), ws);
    expect(res.status).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'not_accepted',
      detail:
        'line: webhook test failed: ERROR_STATUS_CODE (HTTP 401): The webhook returned an HTTP status code other than 200.(401 Unauthorized)',
      details: { platform: 'line', platform_code: 'ERROR_STATUS_CODE' },
    });
    expect(edgeLogOfLastAnswer()).toContain('bad_signature');
    // LINE cannot clear an endpoint: it stays at our URL, where the edge refuses it (no Block).
    expect(fake.webhookOf(bot.userId)?.endpoint).toBe(h.hooks.line);
    await nothingWritten(ws, bot.userId);
    expect(await fake.deliver(bot.userId, [message(30)])).toBe(401);
    expect(edgeLogOfLastAnswer()).toContain('unknown_destination');
  });

  it('"Use webhook" off: 422 telling what to turn on, nothing written', async () => {
    const ws = `${WS}_inactive`;
    const bot = botOf(4);
    fake.addBot(tokenOf(4), bot);
    fake.beforeTest = undefined;
    // LINE keeps "Use webhook" as the console left it: off here.
    await request(fake.url, {
      method: 'PUT',
      path: '/v2/bot/channel/webhook/endpoint',
      headers: { authorization: `Bearer ${tokenOf(4)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint: 'https://old.example/' }),
    });
    fake.setActive(bot.userId, false);
    const res = await connect(tokenOf(4), bot.channelSecret, ws);
    expect(res.status).toBe(422);
    expect(res.json()).toMatchObject({ code: 'not_accepted', detail: expect.stringContaining('turn on "Use webhook"') });
    await nothingWritten(ws, bot.userId);
  });

  it('an account connected in another workspace: 409, the other Block untouched', async () => {
    const bot = botOf(5);
    fake.addBot(tokenOf(5), bot);
    expect((await connect(tokenOf(5), bot.channelSecret, `${WS}_a`)).status).toBe(201);
    await newEvents(1);
    await rawMessages(1);
    const res = await connect(tokenOf(5), bot.channelSecret, `${WS}_b`);
    expect(res.status).toBe(409);
    expect(res.json()).toMatchObject({ code: 'account_in_use' });
    expect((await lookup(bot.userId))?.block_id).toBe(blockIdFor('line', bot.userId, `${WS}_a`));
    expect(await newEvents(0)).toEqual([]);
  });
});

describe('npm run blocks', () => {
  const { cli } = h;

  it('connects, rotates, checks and disconnects a LINE channel, the token and secrets from the environment', async () => {
    const ws = `${WS}_cli`;
    const bot = botOf(6);
    const token = tokenOf(6);
    fake.addBot(token, bot);
    secretsUsed.add(token).add(bot.channelSecret);
    const blockId = blockIdFor('line', bot.userId, ws);

    const connected = await cli(['connect', '-w', ws, '--platform', 'line'], {
      LINE_CHANNEL_ACCESS_TOKEN: token,
      LINE_CHANNEL_SECRET: bot.channelSecret,
    });
    expect(connected).toEqual({ code: 0, out: expect.stringContaining(`${blockId}  line ${bot.userId} ${bot.displayName}  connected`) });
    await newEvents(1);
    await rawMessages(1);
    const fresh = hex32();
    const first = bot.channelSecret;
    secretsUsed.add(fresh);
    fake.reissueSecret(bot.userId, fresh);
    const rotated = await cli(['rotate', '-w', ws, blockId], { LINE_CHANNEL_SECRET: fresh });
    expect(rotated).toMatchObject({ code: 0, out: expect.stringContaining('rotated') });
    await rawMessages(1);
    expect((await secretsDoc(blockId))?.line_channel_secrets).toEqual([fresh, first]);
    expect(await cli(['check', '-w', ws, blockId])).toMatchObject({ code: 0, out: expect.stringContaining('"ok":true') });
    await rawMessages(1);
    expect(await cli(['disconnect', '-w', ws, blockId])).toMatchObject({ code: 0, out: expect.stringContaining('disconnected') });
    await newEvents(1);
    const refused = await cli(['connect', '-w', ws, '--platform', 'line'], {
      LINE_CHANNEL_ACCESS_TOKEN: tokenOf(98),
      LINE_CHANNEL_SECRET: hex32(),
    });
    expect(refused).toEqual({ code: 1, out: expect.stringContaining(`400 bad_credentials: line: ${LINE_UNAUTHORIZED.body.message}`) });
    for (const output of [connected.out, rotated.out, refused.out]) {
      for (const s of [token, first, fresh]) expect(output).not.toContain(s);
    }
  }, 60_000);
});

describe('secrets stay secret', () => {
  it('no channel access token or channel secret in any log line, API answer, event or raw message', () => {
    expect(secretsUsed.size).toBeGreaterThanOrEqual(8);
    expect(logLines.length).toBeGreaterThan(0);
    const everything = h.everything('message');
    const leaks = everything.filter(([, text]) => [...secretsUsed].some((s) => text!.includes(s)));
    expect(leaks).toEqual([]);
  });
});
