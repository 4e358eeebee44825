/**
 * The Block registry the LINE and Telegram functions authenticate with, with
 * the secrets database they alone are granted (shared/contracts/blocks.ts). Only their
 * entry points import this module, so Meta bundles never contain Firestore.
 */
import { blockCacheTtlMs, blockStores, FirestoreBlockRegistry, type BlockRegistry } from '../contracts/blocks';

// Read when the function loads, so a malformed BLOCK_CACHE_TTL_MS fails the deployment, not a request.
const ttlMs = blockCacheTtlMs();
let registry: BlockRegistry | undefined;

/** One cached registry per process, created on first use (not at cold start). */
export function firestoreBlockRegistry(): BlockRegistry {
  registry ??= new FirestoreBlockRegistry(blockStores(), ttlMs);
  return registry;
}
