/**
 * Platform → adapter: the one table a new platform is added to (with its
 * adapter module under shared/platforms/<platform>/normalize.ts).
 */
import type { Platform } from '../platforms';
import { instagramAdapter } from '../platforms/instagram/normalize';
import { lineAdapter } from '../platforms/line/normalize';
import { messengerAdapter } from '../platforms/messenger/normalize';
import { telegramAdapter } from '../platforms/telegram/normalize';
import { whatsappAdapter } from '../platforms/whatsapp/normalize';
import type { PlatformAdapter } from './types';

export const ADAPTERS: Record<Platform, PlatformAdapter> = {
  instagram: instagramAdapter,
  messenger: messengerAdapter,
  whatsapp: whatsappAdapter,
  line: lineAdapter,
  telegram: telegramAdapter,
};

export function adapterFor(platform: Platform): PlatformAdapter {
  return ADAPTERS[platform];
}
