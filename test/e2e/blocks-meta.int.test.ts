/**
 * Messenger, Instagram and WhatsApp Blocks connected through the blocks API,
 * then their first message through the pipeline as `npm start` runs it: the
 * three Meta webhook functions, normalizer, contacts, triggers and event-log
 * in their own functions-framework processes on the jest run's emulators
 * (under a project id of their own), the real blocks API handler in this
 * process, and the local fake of the Graph API (scripts/lib/fakes/meta-graph.ts)
 * performing the hub.challenge handshake against the stack's webhook function
 * and delivering the message signed with the app secret. Each message must
 * end as an event log entry with status `success` in the Block's workspace,
 * and platform.webhook.verified and platform.block.connected must be there too.
 */
import { randomBytes } from 'node:crypto';
import type { Connector } from '../../shared/platform-kit/connect';
import type { Platform } from '../../shared/platforms';
import { instagramConnector } from '../../shared/platforms/instagram/connect';
import { messengerConnector } from '../../shared/platforms/messenger/connect';
import { whatsappConnector } from '../../shared/platforms/whatsapp/connect';
import { DEMO_ENV_SECRETS } from '../../scripts/lib/demo';
import { FakeMetaGraph } from '../../scripts/lib/fakes/meta-graph';
import { metaTextMessage, whatsappTextMessage } from '../fixtures/blocks/meta';
import { e2eBlocksStack } from './blocks-stack';

jest.setTimeout(120_000);

const run = randomBytes(4).toString('hex');
const WS = `ws_e2e_meta_${run}`;
const n = parseInt(run.slice(0, 6), 16);
const APP_ID = `8${n}`;
const PAGE = { id: `40${n}`, name: `E2E Page ${run}`, instagram: { id: `178415${n}`, username: `e2e_${run}` } };
const PAGE_TOKEN = `EAAE2EPage${run}${'p'.repeat(40)}`;
const WABA = { id: `50${n}`, phone_numbers: [{ id: `60${n}`, display_phone_number: '+1 555-0177', verified_name: `E2E ${run}` }] };
const WABA_TOKEN = `EAAE2EWaba${run}${'w'.repeat(40)}`;
const saved = { id: process.env.META_APP_ID, secret: process.env.META_APP_SECRET, verify: process.env.META_VERIFY_TOKEN };

const fake = new FakeMetaGraph(APP_ID, DEMO_ENV_SECRETS.META_APP_SECRET!);
const e2e = e2eBlocksStack({
  name: 'meta',
  webhooks: ['webhook-messenger', 'webhook-instagram', 'webhook-whatsapp'],
  fake,
  target: 'blocksApiMetaE2e',
  // The webhook functions run with the demo secrets (topology.json `secrets`); the blocks API here uses the same app.
  beforeApi: () => {
    process.env.META_APP_ID = APP_ID;
    process.env.META_APP_SECRET = DEMO_ENV_SECRETS.META_APP_SECRET;
    process.env.META_VERIFY_TOKEN = DEMO_ENV_SECRETS.META_VERIFY_TOKEN;
  },
  platforms: (stack) => {
    const connection = (connector: Connector, fn: string) => ({
      connector,
      apiBase: `${fake.url}/v23.0`,
      webhookUrl: `${stack.functions[fn]!.url}/`,
    });
    return {
      messenger: connection(messengerConnector as Connector, 'webhook-messenger'),
      instagram: connection(instagramConnector as Connector, 'webhook-instagram'),
      whatsapp: connection(whatsappConnector as Connector, 'webhook-whatsapp'),
    };
  },
});

beforeAll(() => {
  fake.addPage(PAGE_TOKEN, PAGE);
  fake.addWaba(WABA_TOKEN, WABA);
});

afterAll(() => {
  for (const [key, value] of [
    ['META_APP_ID', saved.id],
    ['META_APP_SECRET', saved.secret],
    ['META_VERIFY_TOKEN', saved.verify],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

const cases: Array<{ platform: Platform; object: string; credentials: Record<string, string>; body: (mid: string) => object }> = [
  {
    platform: 'messenger',
    object: 'page',
    credentials: { page_id: PAGE.id, access_token: PAGE_TOKEN },
    body: (mid) => metaTextMessage('page', PAGE.id, `61${n}`, mid, 'hello'),
  },
  {
    platform: 'instagram',
    object: 'instagram',
    credentials: { page_id: PAGE.id, access_token: PAGE_TOKEN },
    body: (mid) => metaTextMessage('instagram', PAGE.instagram.id, `71${n}`, mid, 'hello'),
  },
  {
    platform: 'whatsapp',
    object: 'whatsapp_business_account',
    credentials: { waba_id: WABA.id, phone_number_id: WABA.phone_numbers[0]!.id, access_token: WABA_TOKEN },
    body: (id) =>
      whatsappTextMessage(
        { wabaId: WABA.id, phoneNumberId: WABA.phone_numbers[0]!.id, displayPhoneNumber: '15550177' },
        { waId: '15550009999', name: 'E' },
        id,
        'hello',
      ),
  },
];

test.each(cases)('a connected $platform account’s first message is logged as success; the verification and connection too', async (c) => {
  // Each platform in a workspace of its own: the Messenger and Instagram Blocks share a Page.
  const ws = `${WS}_${c.platform}`;
  const blockId = await e2e.connect(ws, c.platform, c.credentials);
  expect(fake.handshakes.filter((h) => h.object === c.object)).toEqual([{ object: c.object, status: 200, echoed: true }]);

  expect(await fake.deliver(c.object, c.body(`e2e.${c.platform}.${run}`))).toBe(200);
  await e2e.expectLoggedSuccess(ws, fake.lastAnswer!.body);

  for (const type of ['platform.webhook.verified', 'platform.block.connected']) await e2e.waitForLogged(ws, type, blockId);
  expect(e2e.lines.filter((l) => [PAGE_TOKEN, WABA_TOKEN, DEMO_ENV_SECRETS.META_APP_SECRET!].some((s) => l.includes(s)))).toEqual([]);
});
