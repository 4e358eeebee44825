/**
 * The edge's extension point: one adapter per platform. Adding a platform is
 * its shared/platforms/<platform>/edge.ts plus one line here (and its function
 * in topology.json with a functions/webhook-<platform>/index.ts).
 */
import type { Platform } from '../platforms';
import { instagramEdge } from '../platforms/instagram/edge';
import { lineEdge } from '../platforms/line/edge';
import { messengerEdge } from '../platforms/messenger/edge';
import { telegramEdge } from '../platforms/telegram/edge';
import { whatsappEdge } from '../platforms/whatsapp/edge';
import type { EdgeAdapter } from './types';

export const EDGE_ADAPTERS: Record<Platform, EdgeAdapter> = {
  instagram: instagramEdge,
  messenger: messengerEdge,
  whatsapp: whatsappEdge,
  line: lineEdge,
  telegram: telegramEdge,
};
