/**
 * Runs in every test worker before the tests. The emulator hosts come from the
 * global setup; GOOGLE_CLOUD_PROJECT and METADATA_SERVER_DETECTION keep the
 * clients off the GCE metadata server (no probe, no MetadataLookupWarning).
 */
import { TEST_PROJECT_ID } from './project';

process.env.GOOGLE_CLOUD_PROJECT ??= TEST_PROJECT_ID;
process.env.METADATA_SERVER_DETECTION ??= 'none';
process.env.LOG_LEVEL ??= 'silent';
// The emulator sends pushes without a token, and tests call the APIs without one, as the local stack
// does; the authentication tests turn these on with their own settings (test/auth/).
process.env.PUSH_AUTH ??= 'off';
process.env.API_AUTH ??= 'off';
