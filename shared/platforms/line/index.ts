/**
 * LINE: the channel secret of the Block that `destination` names, and the
 * Messaging API mappers. Listed in ../registry.ts; its webhook function imports
 * ./edge alone (docs/performance.md#cold-start-one-platform-per-webhook-bundle).
 */
export { edge } from './edge';
export { normalizer } from './normalize';
