/**
 * Instagram: the Meta signature and handshake, and the Meta mappers routed by
 * Instagram account id (shared/platforms/meta/). Listed in ../registry.ts; its
 * webhook function imports ./edge alone
 * (docs/performance.md#cold-start-one-platform-per-webhook-bundle).
 */
export { edge } from './edge';
export { normalizer } from './normalize';
export { instagramConnector as connector } from './connect';
