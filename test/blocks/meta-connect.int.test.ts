/**
 * Connecting Messenger, Instagram and WhatsApp Blocks end to end: the real
 * blocks-api and webhook-messenger / webhook-instagram / webhook-whatsapp
 * functions (functions-framework servers), Firestore and Pub/Sub on the
 * emulators, and a local fake of the Graph API (scripts/lib/fakes/meta-graph.ts)
 * that performs the hub.challenge handshake against our edge while the app
 * subscribes, and delivers webhooks signed with the app secret, as Meta does.
 * Routing is the normalizer's own (normalize() with the Firestore router) on
 * what the edge published.
 */
import { randomBytes } from 'node:crypto';
import { accountKey, BLOCK_SECRETS, blockStores } from '../../shared/contracts/blocks';
import { blockIdFor } from '../../shared/blocks/service';
import { normalize } from '../../shared/normalize/normalize';
import { firestoreRouter } from '../../shared/normalize/firestore-router';
import type { Platform } from '../../shared/platforms';
import { MAPPED_FIELDS } from '../../shared/platforms/meta/connect-page';
import { getFirestore } from '../../shared/runtime/gcp';
import { FakeMetaGraph, graphErrors } from '../../scripts/lib/fakes/meta-graph';
import { metaTextMessage, whatsappTextMessage } from '../fixtures/blocks/meta';
import { blocksHarness, expectBadCredentials, expectCreated, secretsOf } from './harness';

jest.setTimeout(60_000);

const run = randomBytes(4).toString('hex');
const WS = `ws_meta_${run}`;
const APP_ID = `9${parseInt(run, 16)}`;
const APP_SECRET = `app-secret-${run}-${'s'.repeat(20)}`;
const VERIFY_TOKEN = `verify-${run}-${'v'.repeat(12)}`;
const n = parseInt(run.slice(0, 6), 16);
const PAGE = { id: `10${n}`, name: `Page ${run}`, instagram: { id: `178414${n}`, username: `ig_${run}` } };
const PAGE_TOKEN = `EAAPage${run}${'p'.repeat(40)}`;
const WABA = { id: `20${n}`, phone_numbers: [{ id: `30${n}`, display_phone_number: '+1 555-0142', verified_name: `Co ${run}` }] };
const WABA_TOKEN = `EAAWaba${run}${'w'.repeat(40)}`;

const fake = new FakeMetaGraph(APP_ID, APP_SECRET);
const h = blocksHarness({
  topics: 'meta-blocks',
  fake,
  webhooks: ['messenger', 'instagram', 'whatsapp'],
  env: () => ({
    LOG_LEVEL: 'debug',
    META_GRAPH_API_BASE: `${fake.url}/v23.0`,
    META_APP_ID: APP_ID,
    META_APP_SECRET: APP_SECRET,
    META_VERIFY_TOKEN: VERIFY_TOKEN,
  }),
});
const { api, newEvents, hooks, logLines } = h;

const connect = (platform: Platform, credentials: object, ws = WS) => api('POST', `/workspaces/${ws}/blocks`, { platform, credentials });

/** The raw messages the edges published since the last call, normalized as the normalizer would (its router, its rules). */
async function normalizedRaw(count: number) {
  const messages = await h.raw.pull(count, count === 0 ? 500 : 5000);
  return Promise.all(
    messages.map(async (m) => {
      const attributes = m.attributes as Record<string, string>;
      const result = await normalize(
        {
          platform: attributes.platform as Platform,
          kind: attributes.kind as 'webhook' | 'handshake',
          body: m.data,
          receivedAt: attributes.received_at!,
          requestId: attributes.request_id!,
        },
        firestoreRouter(getFirestore(), 5000),
      );
      return { attributes, ...result };
    }),
  );
}

const messengerMessage = (mid: string) => metaTextMessage('page', PAGE.id, '6001', mid, 'hi');
const instagramMessage = (mid: string) => metaTextMessage('instagram', PAGE.instagram.id, '7001', mid, 'hi');
const whatsappMessage = (id: string) =>
  whatsappTextMessage(
    { wabaId: WABA.id, phoneNumberId: WABA.phone_numbers[0]!.id, displayPhoneNumber: '15550142' },
    { waId: '15550001111', name: 'A' },
    id,
    'hi',
  );

beforeAll(() => {
  fake.addPage(PAGE_TOKEN, PAGE);
  fake.addWaba(WABA_TOKEN, WABA);
});

const cases = [
  {
    platform: 'messenger' as const,
    object: 'page',
    credentials: { page_id: PAGE.id, access_token: PAGE_TOKEN },
    accountId: PAGE.id,
    name: PAGE.name,
    subscribedAt: PAGE.id,
    message: messengerMessage,
  },
  {
    platform: 'instagram' as const,
    object: 'instagram',
    credentials: { page_id: PAGE.id, access_token: PAGE_TOKEN },
    accountId: PAGE.instagram.id,
    name: `@${PAGE.instagram.username}`,
    subscribedAt: PAGE.id,
    message: instagramMessage,
  },
  {
    platform: 'whatsapp' as const,
    object: 'whatsapp_business_account',
    credentials: { waba_id: WABA.id, phone_number_id: WABA.phone_numbers[0]!.id, access_token: WABA_TOKEN },
    accountId: WABA.phone_numbers[0]!.id,
    name: WABA.phone_numbers[0]!.display_phone_number,
    subscribedAt: WABA.id,
    message: whatsappMessage,
  },
];

describe.each(cases)('a $platform Block, connected through the blocks API', (c) => {
  const blockId = blockIdFor(c.platform, c.accountId, WS);

  it('connects: the app subscription (Meta verifies our edge), the account subscribed; platform.webhook.verified and platform.block.connected', async () => {
    const handshakes = fake.handshakes.length;
    const res = await connect(c.platform, c.credentials);
    expectCreated(res, { block_id: blockId, workspace_id: WS, platform: c.platform, account_id: c.accountId, name: c.name });
    // The handshake went to our real edge, which echoed the challenge.
    expect(fake.handshakes.slice(handshakes)).toEqual([{ object: c.object, status: 200, echoed: true }]);
    expect(fake.subscription(c.object)).toMatchObject({ callback_url: hooks[c.platform], verify_token: VERIFY_TOKEN, active: true });
    if (c.platform !== 'whatsapp') expect(fake.subscription(c.object)!.fields.sort()).toEqual([...MAPPED_FIELDS[c.platform]].sort());
    expect(fake.subscribedFields(c.subscribedAt)).toBeDefined();

    const stores = blockStores();
    expect((await stores.registry.collection('blocks').doc(blockId).get()).get('status')).toBe('connected');
    expect((await stores.registry.collection('block_accounts').doc(accountKey(c.platform, c.accountId)).get()).get('block_id')).toBe(
      blockId,
    );
    expect(JSON.stringify((await stores.registry.collection('blocks').doc(blockId).get()).data())).not.toContain(
      c.credentials.access_token,
    );

    const published = await newEvents(2);
    expect(published.map((e) => e.type).sort()).toEqual(['platform.block.connected', 'platform.webhook.verified']);
    expect(published.find((e) => e.type === 'platform.webhook.verified')).toMatchObject({
      workspace_id: WS,
      block_id: blockId,
      platform: c.platform,
      data: { verified_at: expect.any(String), account_id: c.accountId },
    });
    expect(published.find((e) => e.type === 'platform.block.connected')).toMatchObject({
      block_id: blockId,
      data: { account_id: c.accountId, account_name: c.name },
    });
    // The edge answered the handshake and published nothing for it: a verification names no Block, it is no event.
    expect(await normalizedRaw(0)).toEqual([]);
  });

  it('takes Meta’s signed delivery at the edge; the normalizer routes it to the Block by the account id', async () => {
    expect(await fake.deliver(c.object, c.message(`m1.${run}`))).toBe(200);
    const [message] = await normalizedRaw(1);
    expect(message!.rejections).toEqual([]);
    expect(message!.envelopes).toEqual([
      expect.objectContaining({ type: 'messaging.message.received', workspace_id: WS, block_id: blockId, platform: c.platform }),
    ]);
    // Signed with another secret: refused at the edge.
    expect(await fake.deliver(c.object, c.message(`m2.${run}`), { secret: 'not-the-app-secret' })).toBe(401);
  });

  it('is idempotent: the same connect again is the same Block, subscribed once, announced once', async () => {
    const calls = fake.calls.length;
    const res = await connect(c.platform, c.credentials);
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ created: false, block: { block_id: blockId, status: 'connected' } });
    expect(fake.calls.slice(calls).filter((call) => call.startsWith('POST'))).toEqual([]);
    expect(await newEvents(0)).toEqual([]);
    const list = (await api('GET', `/workspaces/${WS}/blocks`)).json() as { blocks: Array<{ block_id: string }> };
    expect(list.blocks.filter((b) => b.block_id === blockId)).toHaveLength(1);
  });

  it('checks: healthy says so; a field missing at Meta becomes platform.block.error naming it', async () => {
    const healthy = await api('POST', `/workspaces/${WS}/blocks/${blockId}/check`);
    expect(healthy.json()).toMatchObject({ webhook: { ok: true, registered: true, url: hooks[c.platform] } });
    expect(await newEvents(0)).toEqual([]);

    const field = fake.subscription(c.object)!.fields[0]!;
    fake.removeAppField(c.object, field);
    try {
      const res = await api('POST', `/workspaces/${WS}/blocks/${blockId}/check`);
      expect(res.json()).toMatchObject({
        webhook: { ok: false, lastError: { message: `Meta does not deliver everything to us: missing app field ${field}` } },
        error_event_id: expect.any(String),
      });
      const [event] = await newEvents(1);
      expect(event).toMatchObject({
        type: 'platform.block.error',
        block_id: blockId,
        data: { error: { code: 'webhook_delivery_error', message: expect.stringContaining(field) } },
      });
    } finally {
      fake.subscription(c.object)!.fields.push(field);
    }
  });

  it('has no rotate: Meta signs with the app secret', async () => {
    const res = await api('POST', `/workspaces/${WS}/blocks/${blockId}/rotate`);
    expect(res.status).toBe(501);
  });

  it('disconnects: DELETE subscribed_apps, the app subscription stays; the next delivery is unroutable', async () => {
    const res = await api('POST', `/workspaces/${WS}/blocks/${blockId}/disconnect`);
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ changed: true, block: { status: 'disconnected' } });
    expect(fake.subscribedFields(c.subscribedAt)).toBeUndefined();
    expect(fake.subscription(c.object)).toBeDefined();
    const stores = blockStores();
    expect((await stores.secrets.collection(BLOCK_SECRETS).doc(blockId).get()).exists).toBe(false);
    expect((await stores.registry.collection('block_accounts').doc(accountKey(c.platform, c.accountId)).get()).exists).toBe(false);
    const [event] = await newEvents(1);
    expect(event).toMatchObject({ type: 'platform.block.disconnected', block_id: blockId, data: { reason: 'requested' } });

    // A delivery Meta had in flight: app-signed, so the edge accepts it; nothing routes it.
    expect(await fake.deliver(c.object, c.message(`m3.${run}`))).toBe(200);
    const [message] = await normalizedRaw(1);
    expect(message!.envelopes).toEqual([]);
    expect(message!.rejections).toEqual([
      expect.objectContaining({ reason: 'unroutable', detail: `no connected Block for ${c.platform} account ${c.accountId}` }),
    ]);
  });
});

describe('failures leave nothing behind', () => {
  const emptyWorkspace = async (ws: string) => {
    expect((await getFirestore().collection('blocks').where('workspace_id', '==', ws).get()).size).toBe(0);
  };

  it('a bad token: 400 with Graph’s message, nothing subscribed, nothing written', async () => {
    const ws = `${WS}_bad`;
    const res = await connect('messenger', { page_id: PAGE.id, access_token: `EAABad${'x'.repeat(40)}` }, ws);
    expectBadCredentials(res, 'messenger', 'Invalid OAuth access token - Cannot parse access token', '190');
    await emptyWorkspace(ws);
    expect(await newEvents(0)).toEqual([]);
  });

  it('the account subscription failing mid-connect: Graph’s message, unsubscribed at Meta, nothing in Firestore, no event', async () => {
    const ws = `${WS}_fail`;
    const token = `EAAOther${run}${'o'.repeat(40)}`;
    const page = { id: `11${n}`, name: `Other ${run}` };
    fake.addPage(token, page);
    fake.failNext('GET subscribed_apps', graphErrors.unexpected(), 500);
    const res = await connect('messenger', { page_id: page.id, access_token: token }, ws);
    expect(res.status).toBe(502);
    expect(res.json()).toMatchObject({ code: 'platform_error', detail: `messenger: ${graphErrors.unexpected().message}` });
    expect(fake.subscribedFields(page.id)).toBeUndefined();
    expect(fake.calls.filter((call) => call.includes(page.id))).toEqual([
      `GET /${page.id}`,
      `POST /${page.id}/subscribed_apps`,
      `GET /${page.id}/subscribed_apps`,
      `DELETE /${page.id}/subscribed_apps`,
    ]);
    await emptyWorkspace(ws);
    expect((await secretsOf(blockIdFor('messenger', page.id, ws)).get()).exists).toBe(false);
    expect(await newEvents(0)).toEqual([]);
  });

  it('our edge refusing the handshake: 422 with Graph’s 2200, the app subscription unchanged, nothing subscribed, nothing written', async () => {
    const ws = `${WS}_handshake`;
    const object = 'whatsapp_business_account';
    const before = [...fake.subscription(object)!.fields];
    // A field missing makes connect subscribe the app again; with a verify token the edge does not know, the edge answers 403.
    fake.removeAppField(object, 'messages');
    const saved = process.env.META_VERIFY_TOKEN;
    process.env.META_VERIFY_TOKEN = 'a-token-the-edge-does-not-know';
    try {
      const res = await connect('whatsapp', { waba_id: WABA.id, phone_number_id: WABA.phone_numbers[0]!.id, access_token: WABA_TOKEN }, ws);
      expect(res.status).toBe(422);
      expect(res.json()).toMatchObject({
        code: 'not_accepted',
        detail:
          'whatsapp: (#2200) Callback verification failed with the following errors: HTTP Status Code = 403; HTTP Message = Forbidden',
        details: { platform_code: '2200' },
      });
    } finally {
      process.env.META_VERIFY_TOKEN = saved;
      fake.subscription(object)!.fields = before;
    }
    expect(fake.handshakes.at(-1)).toEqual({ object, status: 403, echoed: false });
    expect(fake.subscribedFields(WABA.id)).toBeUndefined();
    await emptyWorkspace(ws);
    expect(await newEvents(0)).toEqual([]);
    expect(await h.raw.pull(0, 500)).toEqual([]);
  });
});

describe('secrets stay secret', () => {
  it('no access token, app secret or verify token in any log line, API answer or event', () => {
    const secrets = [PAGE_TOKEN, WABA_TOKEN, APP_SECRET, VERIFY_TOKEN];
    expect(logLines.length).toBeGreaterThan(0);
    const everything = h.everything();
    expect(everything.filter(([, text]) => secrets.some((s) => text!.includes(s)))).toEqual([]);
  });
});
