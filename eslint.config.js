import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // examples/: consumer projects outside the workspace, installed from a registry by release:rehearse.
  { ignores: ['examples/**', 'packages/core/assembly/**', '**/dist/**', '**/dist-web/**', '**/test-results/**', 'apps/docs/.vitepress/dist/**', '**/node_modules/**', '**/.turbo/**', 'apps/docs/.vitepress/cache/**', 'apps/docs/api/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Only @recurrent/core talks to tfjs: one kernel registry, one engine (ARCHITECTURE.md).
    files: ['packages/!(core)/**/*.ts', 'apps/!(bench)/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@tensorflow/*'], message: 'Import tf from @recurrent/core.' }] }],
    },
  },
);
