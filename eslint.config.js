// typescript-eslint strict, with floating promises and type-only imports as errors (shared/style.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { boundariesPlugin } from './scripts/boundaries/boundaries.js';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'console/dist/',
      'test-output/',
      'bench/results/',
      'coverage/',
      'examples/**/*.js',
      'bin/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // `name in obj` finds Object.prototype's members: a service, config key or variable called
      // `constructor` or `__proto__` would be "there". Use Object.hasOwn / ownGet (src/own.ts) or a Map.
      'no-restricted-syntax': [
        'error',
        {
          selector: "BinaryExpression[operator='in'][left.type!='Literal']",
          message:
            'use Object.hasOwn(obj, key) or ownGet (src/own.ts): `in` also finds inherited members such as constructor',
        },
      ],
    },
  },
  // The walls between parts (docs/architecture.md, "Parts and arrows"; the table is
  // scripts/boundaries/parts.json): a wrong import fails with the arrow it breaks and that section.
  {
    files: ['src/**/*.ts', 'console/src/**/*.ts', 'console/src/**/*.tsx'],
    ignores: ['**/*.test.ts', '**/*.test.tsx', '**/testdata/**', '**/testing.ts'],
    plugins: { berth: boundariesPlugin },
    rules: { 'berth/boundaries': 'error' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
        performance: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        AbortController: 'readonly',
      },
    },
  },
);
