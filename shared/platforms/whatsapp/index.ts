/**
 * WhatsApp: the Meta signature and handshake (shared/platforms/meta/), and the
 * Cloud API mappers. Listed in ../registry.ts; its webhook function imports
 * ./edge alone (docs/performance.md#cold-start-one-platform-per-webhook-bundle).
 */
export { edge } from './edge';
export { normalizer } from './normalize';
export { whatsappConnector as connector } from './connect';
