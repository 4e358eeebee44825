/**
 * The demo workspace `npm start` seeds and `npm run send` signs for: one Block
 * per platform, the app-level Meta secrets, and the per-Block secrets.
 *
 * Every secret here is a LOCAL DEMO VALUE, known to anyone who reads this file.
 * They exist so that the local stack can verify signatures end to end; they
 * never leave the emulators. Real secrets live in Secret Manager (app level)
 * and in `block_secrets/` (per Block), and are never committed.
 */
import type { Block, BlockSecrets } from '../../shared/contracts/blocks';
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
      block_id: 'blk_demo_messenger',
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
      block_id: 'blk_demo_instagram',
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
      block_id: 'blk_demo_whatsapp',
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
      block_id: 'blk_demo_line',
      workspace_id: DEMO_WORKSPACE_ID,
      platform: 'line',
      account_id: 'Ude000000000000000000000000000001',
      name: 'Demo LINE official account',
      status: 'connected',
    },
    secrets: { line_channel_secrets: ['local-demo-line-channel-secret'] },
  },
  telegram: {
    block: {
      block_id: 'blk_demo_telegram',
      workspace_id: DEMO_WORKSPACE_ID,
      platform: 'telegram',
      account_id: '7000000001',
      name: 'Demo Telegram bot',
      status: 'connected',
    },
    secrets: { telegram_secret_tokens: ['local-demo-telegram-secret-token'] },
  },
};

/** The WhatsApp Business Account id the demo number belongs to (entry[].id of WhatsApp payloads). */
export const DEMO_WHATSAPP_BUSINESS_ACCOUNT_ID = '107000000000001';
/** The display number of the demo WhatsApp Block (value.metadata.display_phone_number). */
export const DEMO_WHATSAPP_DISPLAY_NUMBER = '15550001234';
