/**
 * The production Router: the Block registry in Firestore (cached lookups),
 * plus Block-by-id reads for edge attributes and handshake records that name
 * a Block without its workspace. Lookups fail after NORMALIZER_ROUTING_TIMEOUT_MS.
 */
import type { Firestore } from '@google-cloud/firestore';
import { FirestoreBlockRegistry, type Block } from '../contracts/blocks';
import { getFirestore } from '../runtime/gcp';
import { normalizerConfig } from './config';
import { registryRouter, boundedRouter, type Router } from './router';

export function firestoreRouter(db: Firestore = getFirestore(), timeoutMs = normalizerConfig().routingTimeoutMs): Router {
  // Routing reads the registry only: no secrets database here.
  const registry = new FirestoreBlockRegistry({ registry: db });
  const router = registryRouter(registry, async (blockId) => {
    const doc = await db.collection('blocks').doc(blockId).get();
    return doc.exists ? (doc.data() as Block) : undefined;
  });
  return boundedRouter(router, timeoutMs);
}
