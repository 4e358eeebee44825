/**
 * LINE and Telegram through the functions-framework server, with Blocks (and
 * their secrets) in the Firestore emulator and the raw topic on the Pub/Sub emulator.
 */
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { BLOCK_SECRETS, blockStores, saveBlock, telegramTokenKey } from '../../shared/contracts/blocks';
import { getFirestore } from '../../shared/runtime/gcp';
import { request, listen } from '../helpers/http-client';
import { createTopicWithSubscription, type TestTopic } from '../helpers/pubsub-emulator';
import { signedRequest } from '../helpers/webhook-signing';

const run = randomBytes(4).toString('hex');
const LINE_BOT = `U${run}0000000000000000000000000`;
const LINE_SECRET = `line-secret-${run}`;
const LINE_PREVIOUS = `line-previous-${run}`;
const LINE_NO_SECRET_BOT = `U${run}1111111111111111111111111`;
const TG_TOKEN = `tg_token_${run}`;
const TG_PREVIOUS = `tg_previous_${run}`;
const TG_REVOKED = `tg_revoked_${run}`;
const line = {
  block_id: `blk_line_${run}`,
  workspace_id: `ws_${run}`,
  platform: 'line' as const,
  account_id: LINE_BOT,
  status: 'connected' as const,
};
const lineNoSecret = { ...line, block_id: `blk_line_nosecret_${run}`, account_id: LINE_NO_SECRET_BOT };
const MISPLACED_SECRET = `line-misplaced-${run}`;
const lineMisplaced = { ...line, block_id: `blk_line_misplaced_${run}`, account_id: `U${run}2222222222222222222222222` };
const telegram = {
  block_id: `blk_tg_${run}`,
  workspace_id: `ws_${run}`,
  platform: 'telegram' as const,
  account_id: `bot${run}`,
  status: 'connected' as const,
};

let topic: TestTopic;
const closers: Array<() => Promise<void>> = [];
let lineUrl: string;
let telegramUrl: string;

beforeAll(async () => {
  topic = await createTopicWithSubscription('edge-line-tg');
  process.env.RAW_TOPIC = topic.topic;
  const db = getFirestore();
  await saveBlock(blockStores(), line, { line_channel_secrets: [LINE_SECRET, LINE_PREVIOUS] });
  await saveBlock(blockStores(), lineNoSecret, {});
  // Its secret only in the default database, where every Firestore-using function could read it: the webhook must not look there.
  await saveBlock(blockStores(), lineMisplaced, {});
  await db
    .collection(BLOCK_SECRETS)
    .doc(lineMisplaced.block_id)
    .set({ line_channel_secrets: [MISPLACED_SECRET] });
  await saveBlock(blockStores(), telegram, { telegram_secret_tokens: [TG_TOKEN, TG_PREVIOUS] });
  // A token once issued to the Block and since rotated out: its lookup document remains, its secret does not.
  await db
    .collection('block_accounts')
    .doc(telegramTokenKey(TG_REVOKED))
    .set({ block_id: telegram.block_id, workspace_id: telegram.workspace_id });

  await import('../../functions/webhook-line');
  await import('../../functions/webhook-telegram');
  const l = await listen(getTestServer('webhookLine') as Server);
  const t = await listen(getTestServer('webhookTelegram') as Server);
  closers.push(l.close, t.close);
  lineUrl = l.baseUrl;
  telegramUrl = t.baseUrl;
});

afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
});

const lineBody = (
  destination: string,
  events: unknown[] = [{ type: 'follow', timestamp: 1711878930000, source: { type: 'user', userId: 'U9' }, webhookEventId: 'E1' }],
) => JSON.stringify({ destination, events });

describe('webhook-line', () => {
  it('publishes a request signed with the Block channel secret, naming the Block and workspace', async () => {
    const signed = signedRequest('line', lineBody(LINE_BOT), LINE_SECRET);
    const res = await request(lineUrl, { method: 'POST', ...signed });
    expect(res.status).toBe(200);
    const messages = await topic.pull(1);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.data.equals(signed.body)).toBe(true);
    expect(messages[0]!.attributes).toMatchObject({
      platform: 'line',
      kind: 'webhook',
      block_id: line.block_id,
      workspace_id: line.workspace_id,
    });
  });

  it('accepts the previous channel secret during a rotation', async () => {
    const signed = signedRequest('line', lineBody(LINE_BOT), LINE_PREVIOUS);
    expect((await request(lineUrl, { method: 'POST', ...signed })).status).toBe(200);
    expect(await topic.pull(1)).toHaveLength(1);
  });

  it('answers the console Verify request (signed, no events) 200 and publishes it like any delivery', async () => {
    const signed = signedRequest('line', lineBody(LINE_BOT, []), LINE_SECRET);
    expect((await request(lineUrl, { method: 'POST', ...signed })).status).toBe(200);
    const [message] = await topic.pull(1);
    expect(JSON.parse(message!.data.toString('utf8')).events).toEqual([]);
  });

  it.each([
    ['an unknown destination', () => signedRequest('line', lineBody('Uunknown'), LINE_SECRET)],
    ['no destination', () => signedRequest('line', JSON.stringify({ events: [] }), LINE_SECRET)],
    ['the wrong channel secret', () => signedRequest('line', lineBody(LINE_BOT), 'guess')],
    ['a Block with no channel secret', () => signedRequest('line', lineBody(LINE_NO_SECRET_BOT), '')],
    [
      'a Block whose secret is in the default database, not the secrets one',
      () => signedRequest('line', lineBody(lineMisplaced.account_id), MISPLACED_SECRET),
    ],
  ])('rejects %s with the same 401 (reveals nothing)', async (_name, make) => {
    const res = await request(lineUrl, { method: 'POST', ...make() });
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ error: 'bad_signature', message: expect.any(String) });
  });

  it('rejects a missing signature with 401 missing_signature, and GET with 405', async () => {
    const res = await request(lineUrl, { method: 'POST', body: lineBody(LINE_BOT), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ error: 'missing_signature' });
    const get = await request(lineUrl, { path: '/?hub.mode=subscribe' });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
  });
});

describe('webhook-telegram', () => {
  const update = '{"update_id":1,"message":{"message_id":1,"date":1711878930,"chat":{"id":5,"type":"private"},"text":"hi"}}';

  it('publishes an update carrying the Block secret token, naming the Block', async () => {
    const signed = signedRequest('telegram', update, TG_TOKEN);
    expect((await request(telegramUrl, { method: 'POST', ...signed })).status).toBe(200);
    const messages = await topic.pull(1);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.data.toString('utf8')).toBe(update);
    expect(messages[0]!.attributes).toMatchObject({
      platform: 'telegram',
      kind: 'webhook',
      block_id: telegram.block_id,
      workspace_id: telegram.workspace_id,
    });
    expect(JSON.stringify(messages[0]!.attributes)).not.toContain(TG_TOKEN);
  });

  it('accepts the previous token during a rotation', async () => {
    expect((await request(telegramUrl, { method: 'POST', ...signedRequest('telegram', update, TG_PREVIOUS) })).status).toBe(200);
    expect(await topic.pull(1)).toHaveLength(1);
  });

  it.each([
    ['an unknown token', TG_TOKEN + 'x', 'bad_signature'],
    ['a token rotated out of the Block (stale lookup document)', TG_REVOKED, 'bad_signature'],
    ['a malformed token', 'not a token!', 'bad_signature'],
  ])('rejects %s with 401', async (_name, token, error) => {
    const res = await request(telegramUrl, { method: 'POST', ...signedRequest('telegram', update, token) });
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ error });
  });

  it('rejects a missing token with 401 missing_signature', async () => {
    const res = await request(telegramUrl, { method: 'POST', body: update, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ error: 'missing_signature' });
  });

  it('published nothing for any rejected request', async () => {
    const sentinel = signedRequest('telegram', update, TG_TOKEN);
    await request(telegramUrl, {
      method: 'POST',
      ...sentinel,
      headers: { ...sentinel.headers, 'x-cloud-trace-context': `sentinel${run}/1` },
    });
    const messages = await topic.pull(1);
    expect(messages.map((m) => m.attributes.request_id)).toEqual([`sentinel${run}`]);
  });
});
