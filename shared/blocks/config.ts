/**
 * Where the blocks API finds each platform: the platform API's base URL (the
 * real one by default; a local fake in tests and on the local stack) and our
 * public webhook URL the platform must call. Terraform sets WEBHOOK_URL_<PLATFORM>
 * from the webhook functions' URLs (terraform/locals.tf); without one, connect
 * for that platform answers 503 not_configured. docs/configuration.md
 */
import type { Connector } from '../platform-kit/connect';
import { PLATFORMS, type Platform } from '../platforms';
import { platformModule } from '../platforms/registry';

export interface PlatformConnection {
  connector: Connector;
  apiBase: string;
  webhookUrl: string | undefined;
}

/** Per platform: the variable holding its API's base URL (and the real one), and the one holding our webhook URL. */
export const PLATFORM_SETTINGS: Record<Platform, { apiBaseVariable: string; apiBase: string; webhookUrlVariable: string }> = {
  instagram: {
    apiBaseVariable: 'META_GRAPH_API_BASE',
    apiBase: 'https://graph.facebook.com/v23.0',
    webhookUrlVariable: 'WEBHOOK_URL_INSTAGRAM',
  },
  messenger: {
    apiBaseVariable: 'META_GRAPH_API_BASE',
    apiBase: 'https://graph.facebook.com/v23.0',
    webhookUrlVariable: 'WEBHOOK_URL_MESSENGER',
  },
  whatsapp: {
    apiBaseVariable: 'META_GRAPH_API_BASE',
    apiBase: 'https://graph.facebook.com/v23.0',
    webhookUrlVariable: 'WEBHOOK_URL_WHATSAPP',
  },
  line: { apiBaseVariable: 'LINE_API_BASE', apiBase: 'https://api.line.me', webhookUrlVariable: 'WEBHOOK_URL_LINE' },
  telegram: { apiBaseVariable: 'TELEGRAM_API_BASE', apiBase: 'https://api.telegram.org', webhookUrlVariable: 'WEBHOOK_URL_TELEGRAM' },
};

/** The platforms whose module has a connector (shared/platforms/registry.ts), with their settings. */
export function platformConnections(env: NodeJS.ProcessEnv = process.env): Partial<Record<Platform, PlatformConnection>> {
  const connections: Partial<Record<Platform, PlatformConnection>> = {};
  for (const platform of PLATFORMS) {
    const connector = platformModule(platform).connector;
    if (!connector) continue;
    const settings = PLATFORM_SETTINGS[platform];
    connections[platform] = {
      connector,
      apiBase: env[settings.apiBaseVariable] || settings.apiBase,
      webhookUrl: env[settings.webhookUrlVariable] || undefined,
    };
  }
  return connections;
}
