/**
 * Runs in every test worker before the tests. The emulator hosts come from the
 * global setup; GOOGLE_CLOUD_PROJECT keeps the clients off the metadata server.
 */
import { TEST_PROJECT_ID } from './project';

process.env.GOOGLE_CLOUD_PROJECT ??= TEST_PROJECT_ID;
process.env.LOG_LEVEL ??= 'silent';
