// typescript-eslint's recommended rules over the TypeScript sources; formatting
// is Prettier's (npm run lint runs both).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.emulators/', 'test/terraform/offline/schemas/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: globals.node,
    },
    rules: {
      // Leading underscore marks a parameter kept for its position.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // The Event Log page's browser code (bundle.ts, which builds it, runs in Node).
    files: ['web/**/*.ts'],
    ignores: ['web/**/bundle.ts'],
    languageOptions: { globals: globals.browser },
  },
  {
    // CommonJS configuration and the test-only Terraform provider.
    files: ['**/*.cjs', '**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
