/**
 * The Meta connectors (Messenger, Instagram, WhatsApp) against the local fake
 * of the Graph API: what they ask Meta, the app subscription and its
 * hub.challenge handshake (answered here by our own handshake check), and how
 * Graph's error objects become ConnectError reasons.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectError, type ConnectContext, type Connector } from '../../shared/platform-kit/connect';
import { instagramConnector } from '../../shared/platforms/instagram/connect';
import { messengerConnector } from '../../shared/platforms/messenger/connect';
import { MAPPED_FIELDS, MAPPED_META_KINDS, PAGE_FIELDS } from '../../shared/platforms/meta/connect-page';
import { verifyMetaHandshake } from '../../shared/platforms/meta/handshake';
import { PLATFORM_MODULES } from '../../shared/platforms/registry';
import { whatsappConnector } from '../../shared/platforms/whatsapp/connect';
import { MAPPED_FIELDS as WA_FIELDS } from '../../shared/platforms/whatsapp/normalize';
import { createLogger } from '../../shared/runtime/log';
import { FakeMetaGraph, graphErrors } from '../../scripts/lib/fakes/meta-graph';

const APP_ID = '1234567890';
const APP_SECRET = 'app-secret-unit-0123456789abcdef';
const VERIFY_TOKEN = 'verify-token-unit';
const PAGE_TOKEN = `EAAPage${'p'.repeat(40)}`;
const WABA_TOKEN = `EAAWaba${'w'.repeat(40)}`;
const PAGE = { id: '1111', name: 'Unit Page', instagram: { id: '17841400000000001', username: 'unit.ig' } };
const WABA = { id: '2222', phone_numbers: [{ id: '3333', display_phone_number: '+1 555-0100', verified_name: 'Unit Co' }] };

const fake = new FakeMetaGraph(APP_ID, APP_SECRET);
let callback: http.Server;
let ctx: ConnectContext;
/** Our callback's answer to the handshake: our real check, unless a test breaks it. */
let answerHandshake = true;

beforeAll(async () => {
  process.env.META_APP_ID = APP_ID;
  process.env.META_APP_SECRET = APP_SECRET;
  process.env.META_VERIFY_TOKEN = VERIFY_TOKEN;
  await fake.start();
  fake.addPage(PAGE_TOKEN, PAGE);
  fake.addWaba(WABA_TOKEN, WABA);
  callback = http.createServer((req, res) => {
    const outcome = verifyMetaHandshake(new URL(req.url ?? '/', 'http://x').searchParams, [VERIFY_TOKEN]);
    if (!answerHandshake || !outcome.ok) {
      res.writeHead(answerHandshake ? (outcome.ok ? 200 : outcome.status) : 403).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(outcome.challenge);
  });
  await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
  ctx = {
    webhookUrl: `http://127.0.0.1:${(callback.address() as AddressInfo).port}/`,
    apiBase: `${fake.url}/v23.0`,
    fetch,
    log: createLogger({}, { level: 'silent' }),
  };
});
afterAll(async () => {
  await fake.stop();
  callback.closeAllConnections();
  await new Promise<void>((resolve) => callback.close(() => resolve()));
  delete process.env.META_APP_ID;
  delete process.env.META_APP_SECRET;
  delete process.env.META_VERIFY_TOKEN;
});

const reasonOf = async (p: Promise<unknown> | (() => unknown)) => {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    if (err instanceof ConnectError) return { reason: err.reason, message: err.message, code: err.platformCode };
    throw err;
  }
  throw new Error('did not fail');
};

const connectAll = async <C>(connector: Connector<C>, creds: unknown) => {
  const parsed = connector.parseCredentials(creds);
  const account = await connector.identify(ctx, parsed);
  await connector.register(ctx, parsed, connector.newSecrets(parsed));
  await connector.confirm(ctx, parsed);
  return { parsed, account };
};

it('the registry exports the three Meta connectors, each verifying the webhook on confirm', () => {
  expect(PLATFORM_MODULES.messenger.connector).toBe(messengerConnector);
  expect(PLATFORM_MODULES.instagram.connector).toBe(instagramConnector);
  expect(PLATFORM_MODULES.whatsapp.connector).toBe(whatsappConnector);
  for (const c of [messengerConnector, instagramConnector, whatsappConnector]) {
    expect(c.verifiesWebhook).toBe(true);
    expect(c.rotate).toBeUndefined();
  }
});

it('subscribes the fields of every kind the normalizer maps (one source)', () => {
  expect(MAPPED_META_KINDS).toEqual(
    expect.arrayContaining(['message', 'reaction', 'postback', 'standby', 'changes.comments', 'changes.feed']),
  );
  expect(MAPPED_FIELDS.messenger).toEqual(
    expect.arrayContaining(['messages', 'message_echoes', 'message_reactions', 'messaging_postbacks', 'standby', 'feed']),
  );
  expect(MAPPED_FIELDS.instagram).toEqual(expect.arrayContaining(['messages', 'comments', 'messaging_seen', 'message_reactions']));
  expect(MAPPED_FIELDS.instagram).not.toContain('feed');
  expect(PAGE_FIELDS.instagram).not.toContain('feed');
  expect(WA_FIELDS).toEqual(expect.arrayContaining(['messages']));
});

it('Messenger: identifies the Page, subscribes the app (Meta verifies our callback) and the Page, confirms, checks, unsubscribes', async () => {
  const before = fake.handshakes.length;
  const { parsed, account } = await connectAll(messengerConnector, { page_id: PAGE.id, access_token: PAGE_TOKEN });
  expect(account).toEqual({ accountId: PAGE.id, name: PAGE.name });
  expect(fake.handshakes.slice(before)).toEqual([{ object: 'page', status: 200, echoed: true }]);
  expect(fake.subscription('page')).toMatchObject({ callback_url: ctx.webhookUrl, verify_token: VERIFY_TOKEN, active: true });
  expect(fake.subscription('page')!.fields.sort()).toEqual([...MAPPED_FIELDS.messenger].sort());
  expect(fake.subscribedFields(PAGE.id)).toEqual([...PAGE_FIELDS.messenger]);
  expect(await messengerConnector.check(ctx, parsed)).toEqual({ registered: true, url: ctx.webhookUrl, ok: true });

  // A second Page's connect finds the app subscription in place: no second handshake.
  const calls = fake.calls.length;
  await messengerConnector.register(ctx, parsed, {});
  expect(fake.calls.slice(calls)).toEqual([`GET /${APP_ID}/subscriptions`, `POST /${PAGE.id}/subscribed_apps`]);
  expect(fake.handshakes).toHaveLength(before + 1);

  // A field dropped in the App Dashboard: check names it.
  fake.removeAppField('page', 'feed');
  expect(await messengerConnector.check(ctx, parsed)).toMatchObject({
    ok: false,
    registered: true,
    lastError: { message: 'Meta does not deliver everything to us: missing app field feed' },
  });

  await messengerConnector.unregister(ctx, parsed);
  await messengerConnector.unregister(ctx, parsed); // nothing subscribed: still fine
  expect(fake.subscribedFields(PAGE.id)).toBeUndefined();
  expect(fake.subscription('page')).toBeDefined(); // the app-level subscription stays
  expect(await reasonOf(messengerConnector.confirm(ctx, parsed))).toMatchObject({ reason: 'not_accepted' });
  expect(await messengerConnector.check(ctx, parsed)).toMatchObject({ registered: false, ok: false });
  expect(messengerConnector.storedCredentials(messengerConnector.newSecrets(parsed))).toEqual(parsed);
});

it('Instagram: the Page’s Instagram account is the Block; the app’s instagram subscription with Instagram’s fields', async () => {
  const { parsed, account } = await connectAll(instagramConnector, { page_id: PAGE.id, access_token: PAGE_TOKEN });
  expect(account).toEqual({ accountId: PAGE.instagram.id, name: '@unit.ig' });
  expect(fake.subscription('instagram')!.fields.sort()).toEqual([...MAPPED_FIELDS.instagram].sort());
  expect(fake.subscribedFields(PAGE.id)).toEqual([...PAGE_FIELDS.instagram]);
  await instagramConnector.unregister(ctx, parsed);

  const bare = `EAABare${'b'.repeat(40)}`;
  fake.addPage(bare, { id: '4444', name: 'No IG' });
  expect(await reasonOf(instagramConnector.identify(ctx, { page_id: '4444', access_token: bare }))).toEqual({
    reason: 'bad_credentials',
    message: 'the Page has no Instagram professional account linked',
    code: undefined,
  });
});

it('WhatsApp: the phone number of the WABA, the app’s whatsapp_business_account subscription, the WABA subscribed', async () => {
  const creds = { waba_id: WABA.id, phone_number_id: '3333', access_token: WABA_TOKEN };
  const { parsed, account } = await connectAll(whatsappConnector, creds);
  expect(account).toEqual({ accountId: '3333', name: '+1 555-0100' });
  expect(fake.subscription('whatsapp_business_account')!.fields).toEqual([...WA_FIELDS]);
  expect(fake.subscribedFields(WABA.id)).toEqual([]);
  expect(await whatsappConnector.check(ctx, parsed)).toEqual({ registered: true, url: ctx.webhookUrl, ok: true });
  expect(whatsappConnector.storedCredentials(whatsappConnector.newSecrets(parsed))).toEqual(parsed);
  await whatsappConnector.unregister(ctx, parsed);
  expect(fake.subscribedFields(WABA.id)).toBeUndefined();

  // A number of another WABA (or none the token sees).
  expect(await reasonOf(whatsappConnector.identify(ctx, { ...creds, phone_number_id: '9999' }))).toMatchObject({
    reason: 'bad_credentials',
    code: '100',
    message: expect.stringContaining("Object with ID '9999' does not exist"),
  });
  const other = `EAAOther${'o'.repeat(40)}`;
  fake.addWaba(other, { id: '5555', phone_numbers: [{ id: '6666', display_phone_number: '+1 555-0199', verified_name: 'Other' }] });
  fake.addWaba(other, { id: '5556', phone_numbers: [] });
  expect(await reasonOf(whatsappConnector.identify(ctx, { waba_id: '5556', phone_number_id: '6666', access_token: other }))).toMatchObject({
    reason: 'bad_credentials',
    message: 'the phone number does not belong to the WhatsApp Business Account',
  });
});

it('maps Graph’s errors: 190 bad_credentials with Graph’s message, 2200 (our callback refused) not_accepted, code 2 platform_error', async () => {
  expect(await reasonOf(messengerConnector.identify(ctx, { page_id: PAGE.id, access_token: `EAABad${'x'.repeat(40)}` }))).toEqual({
    reason: 'bad_credentials',
    message: 'Invalid OAuth access token - Cannot parse access token',
    code: '190',
  });
  fake.failNext('GET node', graphErrors.expiredToken());
  expect(await reasonOf(messengerConnector.identify(ctx, { page_id: PAGE.id, access_token: PAGE_TOKEN }))).toMatchObject({
    reason: 'bad_credentials',
    code: '190',
  });

  // A fresh object (no subscription yet) and a callback that does not echo the challenge.
  const waCtx = { ...ctx, webhookUrl: ctx.webhookUrl + 'other' };
  answerHandshake = false;
  try {
    const failure = await reasonOf(
      whatsappConnector.register(waCtx, { waba_id: WABA.id, phone_number_id: '3333', access_token: WABA_TOKEN }, {}),
    );
    expect(failure).toEqual({
      reason: 'not_accepted',
      message: '(#2200) Callback verification failed with the following errors: HTTP Status Code = 403; HTTP Message = Forbidden',
      code: '2200',
    });
  } finally {
    answerHandshake = true;
  }
  expect(fake.subscribedFields(WABA.id)).toBeUndefined();

  fake.failNext('POST subscribed_apps', graphErrors.unexpected(), 500);
  expect(await reasonOf(messengerConnector.register(ctx, { page_id: PAGE.id, access_token: PAGE_TOKEN }, {}))).toMatchObject({
    reason: 'platform_error',
    code: '2',
  });
});

it('refuses malformed credentials without calling Meta, names no token when Meta is unreachable, and needs the app configured', async () => {
  const calls = fake.calls.length;
  for (const bad of [
    undefined,
    {},
    { page_id: 'abc', access_token: PAGE_TOKEN },
    { page_id: '1', access_token: 'short' },
    { page_id: '1', access_token: PAGE_TOKEN, x: 1 },
  ]) {
    expect(await reasonOf(() => messengerConnector.parseCredentials(bad))).toMatchObject({ reason: 'bad_credentials' });
  }
  expect(await reasonOf(() => whatsappConnector.parseCredentials({ waba_id: '1', access_token: WABA_TOKEN }))).toMatchObject({
    reason: 'bad_credentials',
    message: 'credentials.phone_number_id must be a Graph API id (digits)',
  });
  expect(fake.calls).toHaveLength(calls);

  const failure = await reasonOf(
    messengerConnector.identify({ ...ctx, apiBase: 'http://127.0.0.1:9' }, { page_id: PAGE.id, access_token: PAGE_TOKEN }),
  );
  expect(failure.reason).toBe('platform_error');
  expect(failure.message).not.toContain(PAGE_TOKEN);

  const saved = process.env.META_APP_ID;
  delete process.env.META_APP_ID;
  try {
    expect(await reasonOf(messengerConnector.register(ctx, { page_id: PAGE.id, access_token: PAGE_TOKEN }, {}))).toMatchObject({
      reason: 'platform_error',
      message: 'the blocks API has no Meta app configured (META_APP_ID not set)',
    });
  } finally {
    process.env.META_APP_ID = saved;
  }
});
