/**
 * A Telegram bot connected through the blocks API, then its first update
 * through the pipeline as `npm start` runs it: webhook-telegram, normalizer,
 * contacts, triggers and event-log in their own functions-framework
 * processes on the jest run's emulators (under a project id of their own),
 * the real blocks API handler in this process, and the local fake of the Bot
 * API (scripts/lib/fakes/telegram-api.ts) delivering the update with the secret
 * token the connect registered. The update must end as an event log entry
 * with status `success`, and platform.block.connected must be in the log too.
 */
import { randomBytes } from 'node:crypto';
import { telegramConnector } from '../../shared/platforms/telegram/connect';
import type { Connector } from '../../shared/platform-kit/connect';
import { FakeTelegramApi } from '../../scripts/lib/fakes/telegram-api';
import { e2eBlocksStack } from './blocks-stack';

jest.setTimeout(120_000);

const run = randomBytes(4).toString('hex');
const WS = `ws_e2e_blocks_${run}`;
const BOT = { id: 800_000_000 + parseInt(run.slice(0, 5), 16), username: `e2e_${run}_bot` };
const TOKEN = `${BOT.id}:AAE${run}${'y'.repeat(30)}`;

const fake = new FakeTelegramApi();
const e2e = e2eBlocksStack({
  name: 'blocks',
  webhooks: ['webhook-telegram'],
  fake,
  target: 'blocksApiE2e',
  platforms: (stack) => ({
    telegram: {
      connector: telegramConnector as Connector,
      apiBase: fake.url,
      webhookUrl: `${stack.functions['webhook-telegram']!.url}/`,
    },
  }),
});

beforeAll(() => {
  fake.addBot(TOKEN, BOT);
});

test('a connected Telegram bot’s first update is logged as success; the connection is in the log too', async () => {
  const blockId = await e2e.connect(WS, 'telegram', { bot_token: TOKEN });

  const update = {
    update_id: 1,
    message: {
      message_id: 1,
      date: Math.floor(Date.now() / 1000),
      chat: { id: 5000000009, type: 'private' },
      from: { id: 5000000009, is_bot: false, first_name: 'E' },
      text: 'hello',
    },
  };
  expect(await fake.deliver(BOT.id, update)).toBe(200);
  await e2e.expectLoggedSuccess(WS, fake.lastAnswer!.body);

  await e2e.waitForLogged(WS, 'platform.block.connected', blockId);
  expect(e2e.lines.filter((l) => l.includes(TOKEN.split(':')[1]!) || fake.issuedSecretTokens.some((t) => l.includes(t)))).toEqual([]);
});
