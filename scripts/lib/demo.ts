/**
 * The demo workspace `npm start` seeds and `npm run send` signs for: one Block
 * per platform, the app-level Meta secrets, the per-Block secrets, and the
 * demo credentials the local fakes of the platform APIs (scripts/lib/fakes/)
 * accept, with which `npm start` connects the Blocks through the blocks API.
 *
 * Every secret here is a LOCAL DEMO VALUE, known to anyone who reads this file.
 * They exist so that the local stack can verify signatures end to end; they
 * never leave the emulators. Real secrets live in Secret Manager (app level)
 * and in `block_secrets/` (per Block), and are never committed.
 */
import type { Block, BlockSecrets } from '../../shared/contracts/blocks';
import { hashId } from '../../shared/envelope/ids';
import type { Platform } from '../../shared/platforms';

export const DEMO_WORKSPACE_ID = 'ws_demo';

/**
 * App-level secrets each function gets in its environment (topology `secrets`).
 * Comma-separated lists are accepted by the functions (rotation); one value is enough here.
 */
export const DEMO_ENV_SECRETS: Record<string, string> = {
  META_APP_SECRET: 'local-demo-meta-app-secret',
  META_VERIFY_TOKEN: 'local-demo-meta-verify-token',
};

/**
 * The blocks API's id for a Block (blockIdFor in shared/blocks/service.ts, a
 * test checks they agree): the demo Blocks are connected through the API, so
 * their ids are the ones it gives.
 */
export function demoBlockId(platform: Platform, accountId: string): string {
  return hashId('blk', [platform, accountId, DEMO_WORKSPACE_ID]);
}

export interface DemoBlock {
  block: Block;
  secrets: BlockSecrets;
}

/**
 * Account ids are the ones the platforms put in their payloads and our samples
 * use: Messenger page id (entry[].id), Instagram professional account id
 * (entry[].id), WhatsApp phone_number_id (value.metadata.phone_number_id),
 * LINE bot user id (`destination`), Telegram bot id (the secret token routes).
 */
export const DEMO_BLOCKS: Record<Platform, DemoBlock> = {
  messenger: {
    block: {
      block_id: demoBlockId('messenger', '105000000000001'),
      workspace_id: DEMO_WORKSPACE_ID,
      platform: 'messenger',
      account_id: '105000000000001',
      name: 'Demo Messenger page',
      status: 'connected',
    },
    secrets: {},
  },
  instagram: {
    block: {
      block_id: demoBlockId('instagram', '17841400000000001'),
      workspace_id: DEMO_WORKSPACE_ID,
      platform: 'instagram',
      account_id: '17841400000000001',
      name: 'Demo Instagram account',
      status: 'connected',
    },
    secrets: {},
  },
  whatsapp: {
    block: {
      block_id: demoBlockId('whatsapp', '106000000000001'),
      workspace_id: DEMO_WORKSPACE_ID,
      platform: 'whatsapp',
      account_id: '106000000000001',
      name: 'Demo WhatsApp number',
      status: 'connected',
    },
    secrets: {},
  },
  line: {
    block: {
      block_id: demoBlockId('line', 'Ude000000000000000000000000000001'),
      workspace_id: DEMO_WORKSPACE_ID,
      platform: 'line',
      account_id: 'Ude000000000000000000000000000001',
      name: 'Demo LINE official account',
      status: 'connected',
    },
    // LINE's channel secrets are 32 hex characters (the blocks API checks); "10ca1de0..." reads "local demo".
    secrets: { line_channel_secrets: ['10ca1de0000000000000000000000001'] },
  },
  telegram: {
    block: {
      block_id: demoBlockId('telegram', '7000000001'),
      workspace_id: DEMO_WORKSPACE_ID,
      platform: 'telegram',
      account_id: '7000000001',
      name: 'Demo Telegram bot',
      status: 'connected',
    },
    // Only when the Block is written directly (npm start without blocks-api): connected through the API, the
    // connector makes its own secret token, which `npm run send` reads from the block secrets database.
    secrets: { telegram_secret_tokens: ['local-demo-telegram-secret-token'] },
  },
};

/** The WhatsApp Business Account id the demo number belongs to (entry[].id of WhatsApp payloads). */
export const DEMO_WHATSAPP_BUSINESS_ACCOUNT_ID = '107000000000001';
/** The display number of the demo WhatsApp Block (value.metadata.display_phone_number). */
export const DEMO_WHATSAPP_DISPLAY_NUMBER = '15550001234';

/** The Meta app of the local stack: the blocks API's META_APP_ID, and the app the Graph API fake knows. */
export const DEMO_META_APP_ID = '100000000000001';

/**
 * What the local fakes of the platform APIs accept (scripts/lib/demo-fakes.ts
 * tells them), and what `npm start` connects the demo Blocks with. Local demo
 * values, like the secrets above.
 */
export const DEMO_CREDENTIALS = {
  telegram: {
    bot_token: '7000000001:AAlocal-demo-telegram-bot-token',
    bot: { id: 7000000001, username: 'convotic_demo_bot', first_name: 'Demo Telegram bot' },
  },
  line: {
    channel_access_token: 'local-demo-line-channel-access-token',
    /** The caller's input at connect (LINE's console shows it), so the same value every run. */
    channel_secret: DEMO_BLOCKS.line.secrets.line_channel_secrets![0]!,
    bot: { userId: DEMO_BLOCKS.line.block.account_id, basicId: '@demo0001', displayName: 'Demo LINE official account' },
  },
  messenger: {
    page_id: DEMO_BLOCKS.messenger.block.account_id,
    access_token: 'local-demo-messenger-page-access-token',
    page: { id: DEMO_BLOCKS.messenger.block.account_id, name: 'Demo Messenger page' },
  },
  instagram: {
    /** The Page the demo Instagram account is linked to: its own, so disconnecting the Messenger Block leaves it alone. */
    page_id: '105000000000002',
    access_token: 'local-demo-instagram-page-access-token',
    page: {
      id: '105000000000002',
      name: 'Demo Instagram page',
      instagram: { id: DEMO_BLOCKS.instagram.block.account_id, username: 'convotic_demo' },
    },
  },
  whatsapp: {
    waba_id: DEMO_WHATSAPP_BUSINESS_ACCOUNT_ID,
    phone_number_id: DEMO_BLOCKS.whatsapp.block.account_id,
    access_token: 'local-demo-whatsapp-system-user-token',
    phone: {
      id: DEMO_BLOCKS.whatsapp.block.account_id,
      display_phone_number: DEMO_WHATSAPP_DISPLAY_NUMBER,
      verified_name: 'Convotic Demo',
    },
  },
} as const;

/**
 * A second bot the Telegram fake knows and `npm start` does not connect: for
 * trying `npm run blocks -- connect --platform telegram --workspace ws_demo`
 * against the local stack (docs/local-development.md).
 */
export const DEMO_SECOND_TELEGRAM_BOT = {
  bot_token: '7000000002:AAlocal-demo-second-telegram-bot',
  bot: { id: 7000000002, username: 'convotic_demo_second_bot', first_name: 'Second demo bot' },
} as const;

/** The body of the blocks API's connect for each demo Block (POST /workspaces/ws_demo/blocks). */
export function demoConnectRequest(platform: Platform): { platform: Platform; name: string; credentials: Record<string, string> } {
  const name = DEMO_BLOCKS[platform].block.name!;
  switch (platform) {
    case 'telegram':
      return { platform, name, credentials: { bot_token: DEMO_CREDENTIALS.telegram.bot_token } };
    case 'line':
      return {
        platform,
        name,
        credentials: {
          channel_access_token: DEMO_CREDENTIALS.line.channel_access_token,
          channel_secret: DEMO_CREDENTIALS.line.channel_secret,
        },
      };
    case 'messenger':
    case 'instagram':
      return {
        platform,
        name,
        credentials: { page_id: DEMO_CREDENTIALS[platform].page_id, access_token: DEMO_CREDENTIALS[platform].access_token },
      };
    case 'whatsapp':
      return {
        platform,
        name,
        credentials: {
          waba_id: DEMO_CREDENTIALS.whatsapp.waba_id,
          phone_number_id: DEMO_CREDENTIALS.whatsapp.phone_number_id,
          access_token: DEMO_CREDENTIALS.whatsapp.access_token,
        },
      };
  }
}
