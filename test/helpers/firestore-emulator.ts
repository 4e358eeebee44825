import { Firestore } from '@google-cloud/firestore';
import { uniqueName } from './names';

/**
 * A Firestore client on the test emulator for a project of its own, so a
 * suite that reads whole root collections (raw_messages, unrouted_events)
 * sees only what it wrote. `host` points it elsewhere (a fault proxy).
 */
export function isolatedFirestore(prefix: string, host = process.env.FIRESTORE_EMULATOR_HOST): Firestore {
  return new Firestore({ projectId: uniqueName(prefix).replace(/_/g, '-'), host, ssl: false, ignoreUndefinedProperties: true });
}
