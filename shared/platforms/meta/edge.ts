/**
 * The edge adapter shared by the three Meta platforms: app-level secrets from
 * config, so no Block lookup (and no Firestore) on the hot path.
 */
import type { Platform } from '..';
import type { EdgeAdapter } from '../../platform-kit/types';
import { verifyMetaHandshake } from './handshake';
import { verifyMetaSignature } from './verify';

export type MetaPlatform = Extract<Platform, 'instagram' | 'messenger' | 'whatsapp'>;

export function metaEdge(platform: MetaPlatform): EdgeAdapter {
  return {
    platform,
    needsRegistry: false,
    handshake: (query, config) => verifyMetaHandshake(query, config.verifyTokens),
    authenticate: ({ rawBody, headers }, { config }) => verifyMetaSignature(rawBody, headers, config.appSecrets),
  };
}
