/**
 * Unit tests run without emulators. Port 9 (discard) is closed here, so a unit
 * test that creates a Pub/Sub or Firestore client fails fast instead of
 * reaching a developer's running emulator or a real project: such a test
 * belongs in a *.int.test.ts file.
 */
process.env.PUBSUB_EMULATOR_HOST = '127.0.0.1:9';
process.env.FIRESTORE_EMULATOR_HOST = '127.0.0.1:9';
