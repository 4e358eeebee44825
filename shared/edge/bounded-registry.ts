/**
 * The edge's Block lookups, bounded in time. Firestore's client retries an
 * unreachable backend for about 45 s, longer than the function's timeout: the
 * platform would get the framework's timeout and we no log line. Bounded, a
 * lookup fails after EDGE_REGISTRY_TIMEOUT_MS and the request is answered
 * `503 registry_unavailable` (the platform retries), with its log line.
 */
import type { BlockRegistry } from '../contracts/blocks';
import { withDeadline } from '../runtime/deadline';

export class RegistryTimeoutError extends Error {
  override readonly name = 'RegistryTimeoutError';
  constructor(
    readonly lookup: string,
    readonly timeoutMs: number,
  ) {
    super(`the Block registry did not answer ${lookup} within ${timeoutMs} ms`);
  }
}

export function boundedRegistry(registry: BlockRegistry, timeoutMs: number): BlockRegistry {
  const bound = <T>(work: Promise<T>, lookup: string) => withDeadline(work, timeoutMs, () => new RegistryTimeoutError(lookup, timeoutMs));
  return {
    byAccount: (platform, accountId) => bound(registry.byAccount(platform, accountId), `the ${platform} account lookup`),
    byTelegramSecretToken: (token) => bound(registry.byTelegramSecretToken(token), 'the Telegram secret token lookup'),
    secrets: (blockId) => bound(registry.secrets(blockId), `the secrets of Block ${blockId}`),
  };
}
