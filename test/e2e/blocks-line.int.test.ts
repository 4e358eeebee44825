/**
 * A LINE channel connected through the blocks API, then its first message
 * event through the pipeline as `npm start` runs it: webhook-line, normalizer,
 * contacts, triggers and event-log in their own functions-framework
 * processes on the jest run's emulators (under a project id of their own),
 * the real blocks API handler in this process, and the local fake of the
 * Messaging API (scripts/lib/fakes/line-api.ts), whose webhook test the connect
 * passes through webhook-line and which signs the event with the channel
 * secret. The event must end as an event log entry with status `success`,
 * and platform.block.connected must be in the log too.
 */
import { randomBytes } from 'node:crypto';
import { lineConnector } from '../../shared/platforms/line/connect';
import type { Connector } from '../../shared/platform-kit/connect';
import { FakeLineApi } from '../../scripts/lib/fakes/line-api';
import { e2eBlocksStack } from './blocks-stack';

jest.setTimeout(120_000);

const run = randomBytes(4).toString('hex');
const WS = `ws_e2e_line_blocks_${run}`;
const SECRET = randomBytes(16).toString('hex');
const BOT = { userId: `U${run}${'e'.repeat(24)}`, basicId: `@e2e${run}`, displayName: `E2E ${run}`, channelSecret: SECRET };
const TOKEN = `e2e${run}${'T'.repeat(150)}=`;

const fake = new FakeLineApi();
const e2e = e2eBlocksStack({
  name: 'line-blocks',
  webhooks: ['webhook-line'],
  fake,
  target: 'blocksApiLineE2e',
  platforms: (stack) => ({
    line: {
      connector: lineConnector as Connector,
      apiBase: fake.url,
      webhookUrl: `${stack.functions['webhook-line']!.url}/`,
    },
  }),
});

beforeAll(() => {
  fake.addBot(TOKEN, BOT);
});

test('a connected LINE channel’s first message event is logged as success; the connection is in the log too', async () => {
  const blockId = await e2e.connect(WS, 'line', { channel_access_token: TOKEN, channel_secret: SECRET });

  const event = {
    type: 'message',
    mode: 'active',
    timestamp: Date.now(),
    webhookEventId: `01E2E${run}`,
    deliveryContext: { isRedelivery: false },
    replyToken: `rt${run}`,
    source: { type: 'user', userId: `Ue2e${run}` },
    message: { id: `m${run}`, type: 'text', quoteToken: `q${run}`, text: 'hello' },
  };
  expect(await fake.deliver(BOT.userId, [event])).toBe(200);
  await e2e.expectLoggedSuccess(WS, fake.lastAnswer!.body);

  await e2e.waitForLogged(WS, 'platform.block.connected', blockId);
  expect(e2e.lines.filter((l) => l.includes(TOKEN) || l.includes(SECRET))).toEqual([]);
});
