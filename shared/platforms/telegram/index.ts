/**
 * Telegram: the secret token that names the Block, and the Bot API mappers.
 * Listed in ../registry.ts; its webhook function imports ./edge alone
 * (docs/performance.md#cold-start-one-platform-per-webhook-bundle).
 */
export { edge } from './edge';
export { normalizer } from './normalize';
