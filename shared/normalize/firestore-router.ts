/**
 * The production Router: the Block registry in Firestore (cached lookups),
 * plus Block-by-id reads for edge attributes and handshake records that name
 * a Block without its workspace. Lookups fail after NORMALIZER_ROUTING_TIMEOUT_MS;
 * account lookups are cached for BLOCK_CACHE_TTL_MS.
 */
import type { Firestore } from '@google-cloud/firestore';
import { FirestoreBlockRegistry, blockCacheTtlMs, type Block } from '../contracts/blocks';
import { getFirestore } from '../runtime/gcp';
import { normalizerConfig } from './config';
import { cachedBoundedRouter, registryRouter, type Router } from './router';

export function firestoreRouter(
  db: Firestore = getFirestore(),
  timeoutMs = normalizerConfig().routingTimeoutMs,
  ttlMs = blockCacheTtlMs(),
): Router {
  // Routing reads the registry only: no secrets database here. The routes are cached below, for
  // BLOCK_CACHE_TTL_MS as the registry would; its own cache (TTL 0 here) keeps nothing.
  const registry = new FirestoreBlockRegistry({ registry: db }, 0);
  const router = registryRouter(registry, async (blockId) => {
    const doc = await db.collection('blocks').doc(blockId).get();
    return doc.exists ? (doc.data() as Block) : undefined;
  });
  return cachedBoundedRouter(router, ttlMs, timeoutMs);
}
