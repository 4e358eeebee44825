/**
 * Two jest projects:
 *  - unit: pure tests, no emulator. They start in a second or two
 *    (`npm run test:unit`); Google clients there point at a closed port, so a
 *    test that reaches for Pub/Sub or Firestore fails instead of finding one.
 *  - integration: tests named *.int.test.ts, against the Pub/Sub and Firestore
 *    emulators that this project's global setup starts on free ports (and
 *    stops); `npm run test:integration`.
 * `npm test` runs both (after tsc --noEmit and the linters). ts-jest only
 * transpiles (tsconfig's isolatedModules: true): type checking is tsc's.
 */
const shared = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // jose ships ES modules only; jest's CommonJS runtime needs them transpiled.
    '/node_modules/jose/.+\\.js$': ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
};

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers: 2,
  // A global option (per-project values are ignored): hooks that close servers and emulator clients need more than 5 s.
  testTimeout: 30000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$'],
      setupFiles: ['<rootDir>/test/support/env.ts', '<rootDir>/test/support/no-emulators.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['**/*.int.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFiles: ['<rootDir>/test/support/env.ts'],
    },
  ],
};
