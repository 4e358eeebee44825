/**
 * The local fakes of the platform APIs (scripts/lib/fakes/) as `npm start`
 * runs them: on local ports, knowing the demo credentials of scripts/lib/demo.ts
 * (the five demo accounts, and a second Telegram bot for trying the CLI), so
 * that the blocks API connects the demo workspace's Blocks against them.
 */
import { DEMO_CREDENTIALS, DEMO_ENV_SECRETS, DEMO_META_APP_ID, DEMO_SECOND_TELEGRAM_BOT } from './demo';
import { FakeLineApi } from './fakes/line-api';
import { FakeMetaGraph } from './fakes/meta-graph';
import { FakeTelegramApi } from './fakes/telegram-api';

export interface DemoFakes {
  telegram: FakeTelegramApi;
  line: FakeLineApi;
  meta: FakeMetaGraph;
  /** The blocks API's variables pointing at them: TELEGRAM_API_BASE, LINE_API_BASE, META_GRAPH_API_BASE. */
  apiBases: Record<string, string>;
  stop(): Promise<void>;
}

/** Ports for the three fakes, in this order: Telegram, LINE, Meta Graph (0: the OS picks). */
export interface DemoFakePorts {
  telegram: number;
  line: number;
  meta: number;
}

export async function startDemoFakes(ports: DemoFakePorts): Promise<DemoFakes> {
  const telegram = new FakeTelegramApi();
  const line = new FakeLineApi();
  const meta = new FakeMetaGraph(DEMO_META_APP_ID, DEMO_ENV_SECRETS.META_APP_SECRET!);
  const started: Array<{ stop(): Promise<void> }> = [];
  const stop = async () => {
    await Promise.all(started.map((f) => f.stop()));
  };
  try {
    for (const [fake, port] of [
      [telegram, ports.telegram],
      [line, ports.line],
      [meta, ports.meta],
    ] as const) {
      await fake.start(port);
      started.push(fake);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  telegram.addBot(DEMO_CREDENTIALS.telegram.bot_token, { ...DEMO_CREDENTIALS.telegram.bot });
  telegram.addBot(DEMO_SECOND_TELEGRAM_BOT.bot_token, { ...DEMO_SECOND_TELEGRAM_BOT.bot });
  line.addBot(DEMO_CREDENTIALS.line.channel_access_token, {
    ...DEMO_CREDENTIALS.line.bot,
    channelSecret: DEMO_CREDENTIALS.line.channel_secret,
  });
  meta.addPage(DEMO_CREDENTIALS.messenger.access_token, { ...DEMO_CREDENTIALS.messenger.page });
  meta.addPage(DEMO_CREDENTIALS.instagram.access_token, {
    ...DEMO_CREDENTIALS.instagram.page,
    instagram: { ...DEMO_CREDENTIALS.instagram.page.instagram },
  });
  meta.addWaba(DEMO_CREDENTIALS.whatsapp.access_token, {
    id: DEMO_CREDENTIALS.whatsapp.waba_id,
    phone_numbers: [{ ...DEMO_CREDENTIALS.whatsapp.phone }],
  });
  return {
    telegram,
    line,
    meta,
    apiBases: { TELEGRAM_API_BASE: telegram.url, LINE_API_BASE: line.url, META_GRAPH_API_BASE: `${meta.url}/v23.0` },
    stop,
  };
}
