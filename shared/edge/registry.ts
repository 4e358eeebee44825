/**
 * The Block registry the LINE and Telegram functions authenticate with, with
 * the secrets database they alone are granted (shared/blocks.ts). Only their
 * entry points import this module, so Meta bundles never contain Firestore.
 */
import { blockStores, FirestoreBlockRegistry, type BlockRegistry } from '../blocks';

let registry: BlockRegistry | undefined;

/** One cached registry per process, created on first use (not at cold start). */
export function firestoreBlockRegistry(): BlockRegistry {
  registry ??= new FirestoreBlockRegistry(blockStores());
  return registry;
}
