/**
 * One jest run covers unit and emulator tests. The global setup starts the
 * Pub/Sub and Firestore emulators once (on free ports) and exports their hosts,
 * so integration tests talk to real emulators and `npm test` needs no extra step.
 * Type checking is done once by `tsc --noEmit` in `npm test`; ts-jest only transpiles
 * (tsconfig's `isolatedModules: true` makes it use TypeScript's transpileModule).
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/env.ts'],
  maxWorkers: 2,
  testTimeout: 30000,
};
