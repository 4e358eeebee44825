/**
 * The production Router: the Block registry in Firestore (cached lookups),
 * plus Block-by-id reads for edge attributes and handshake records that name
 * a Block without its workspace.
 */
import type { Firestore } from '@google-cloud/firestore';
import { FirestoreBlockRegistry, type Block } from '../blocks';
import { getFirestore } from '../gcp';
import { registryRouter, type Router } from './router';

export function firestoreRouter(db: Firestore = getFirestore()): Router {
  const registry = new FirestoreBlockRegistry(db);
  return registryRouter(registry, async (blockId) => {
    const doc = await db.collection('blocks').doc(blockId).get();
    return doc.exists ? (doc.data() as Block) : undefined;
  });
}
