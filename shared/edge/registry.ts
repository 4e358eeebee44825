/**
 * The Block registry the LINE and Telegram functions authenticate with. Only
 * their entry points import this module, so Meta bundles never contain Firestore.
 */
import { FirestoreBlockRegistry, type BlockRegistry } from '../blocks';
import { getFirestore } from '../gcp';

let registry: BlockRegistry | undefined;

/** One cached registry per process, created on first use (not at cold start). */
export function firestoreBlockRegistry(): BlockRegistry {
  registry ??= new FirestoreBlockRegistry(getFirestore());
  return registry;
}
