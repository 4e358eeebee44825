/**
 * The platform registry: every platform's folder, by name. Adding a platform
 * is its folder (an index.ts exporting `edge`, `normalizer` and, once it can be
 * connected through the blocks API, `connector`), its name in
 * PLATFORMS (./index.ts), and its import and entry here; tsc fails until the
 * names and the entries agree.
 *
 * The normalizer and the blocks API look adapters up here. A webhook function does not: it
 * imports its own platform's ./<platform>/edge, so its bundle holds one edge
 * adapter and no mapper (docs/performance.md#cold-start-one-platform-per-webhook-bundle).
 */
import type { PlatformModule } from '../platform-kit/types';
import type { Platform } from '.';
import * as instagram from './instagram';
import * as line from './line';
import * as messenger from './messenger';
import * as telegram from './telegram';
import * as whatsapp from './whatsapp';

export const PLATFORM_MODULES = {
  instagram,
  messenger,
  whatsapp,
  line,
  telegram,
} as const satisfies Record<Platform, PlatformModule>;

export function platformModule(platform: Platform): PlatformModule {
  return PLATFORM_MODULES[platform];
}
