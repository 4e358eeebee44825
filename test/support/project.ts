/** The Google Cloud project id every test uses against the emulators. */
export const TEST_PROJECT_ID = 'convotic-test';
