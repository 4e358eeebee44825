/**
 * Where the blocks API finds each platform: the platform API's base URL (the
 * real one by default; a local fake in tests and on the local stack) and our
 * public webhook URL the platform must call. Terraform sets WEBHOOK_URL_<PLATFORM>
 * from the webhook functions' URLs (terraform/locals.tf); without one, connect
 * for that platform answers 503 not_configured. docs/configuration.md
 */
import type { Connector } from '../platform-kit/connect';
import type { Platform } from '../platforms';
import { telegramConnector } from '../platforms/telegram/connect';

export interface PlatformConnection {
  connector: Connector;
  apiBase: string;
  webhookUrl: string | undefined;
}

/** The platforms that can be connected through the API so far, with their settings. */
export function platformConnections(env: NodeJS.ProcessEnv = process.env): Partial<Record<Platform, PlatformConnection>> {
  return {
    telegram: {
      connector: telegramConnector as Connector,
      apiBase: env.TELEGRAM_API_BASE || 'https://api.telegram.org',
      webhookUrl: env.WEBHOOK_URL_TELEGRAM || undefined,
    },
  };
}
