/**
 * Telegram: the secret token that names the Block, the Bot API mappers, and
 * the Bot API client that connects a bot (blocks API).
 * Listed in ../registry.ts; its webhook function imports ./edge alone
 * (docs/performance.md#cold-start-one-platform-per-webhook-bundle).
 */
export { edge } from './edge';
export { normalizer } from './normalize';
export { telegramConnector as connector } from './connect';
