import { randomBytes } from 'node:crypto';

/**
 * A name no other test (or earlier run on a reused emulator) has used: tests
 * share one pair of emulators and isolate themselves by topic names and
 * workspace ids. Valid as a Pub/Sub topic name and a Firestore document id.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}
