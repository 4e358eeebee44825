/**
 * LINE: the channel secret of the Block that `destination` names, the
 * Messaging API mappers, and the Messaging API client that connects a channel
 * (blocks API). Listed in ../registry.ts; its webhook function imports
 * ./edge alone (docs/performance.md#cold-start-one-platform-per-webhook-bundle).
 */
export { edge } from './edge';
export { normalizer } from './normalize';
export { lineConnector as connector } from './connect';
