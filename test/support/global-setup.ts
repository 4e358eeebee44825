/**
 * Starts one Pub/Sub and one Firestore emulator for the whole jest run, on free
 * ports, and exports their hosts through the environment the workers inherit.
 * Tests isolate themselves by using their own topic names and workspace ids.
 */
import { startEmulator, type RunningEmulator } from '../../scripts/lib/emulators';
import { TEST_PROJECT_ID } from './project';

declare global {
  var __CONVOTIC_EMULATORS__: RunningEmulator[] | undefined;
}

export default async function globalSetup(): Promise<void> {
  const logDir = process.env.EMULATOR_LOG_DIR;
  const [pubsub, firestore] = await Promise.all([
    startEmulator('pubsub', { projectId: TEST_PROJECT_ID, logFile: logDir && `${logDir}/pubsub.log` }),
    startEmulator('firestore', { projectId: TEST_PROJECT_ID, logFile: logDir && `${logDir}/firestore.log` }),
  ]);
  globalThis.__CONVOTIC_EMULATORS__ = [pubsub, firestore];
  process.env.PUBSUB_EMULATOR_HOST = pubsub.host;
  process.env.FIRESTORE_EMULATOR_HOST = firestore.host;
  process.env.GOOGLE_CLOUD_PROJECT = TEST_PROJECT_ID;
}
