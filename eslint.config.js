// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/**
 * Layering, enforced: processors → state, schemas, dwh (sinks), core, config;
 * gateway → dwh, schemas, core, config; nothing but scripts/ imports infra/ or scripts/.
 */
const layers = {
  core: ['state', 'schemas', 'processors', 'gateway', 'dwh', 'infra', 'scripts'],
  config: ['state', 'schemas', 'processors', 'gateway', 'dwh', 'infra', 'scripts'],
  schemas: ['state', 'processors', 'gateway', 'dwh', 'infra', 'scripts'],
  state: ['processors', 'gateway', 'dwh', 'infra', 'scripts'],
  dwh: ['state', 'processors', 'gateway', 'infra', 'scripts'],
  processors: ['gateway', 'infra', 'scripts'],
  gateway: ['state', 'processors', 'infra', 'scripts'],
  infra: ['processors', 'gateway', 'scripts'],
};

const boundaryRules = Object.entries(layers).map(([layer, forbidden]) => ({
  files: [`${layer}/**/*.ts`],
  ignores: [`${layer}/**/*.test.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: forbidden.map((target) => ({
          group: [`**/${target}/*`, `**/${target}`],
          message: `${layer}/ must not import ${target}/ (see docs/architecture.md, Layering)`,
        })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/**', '.infra/**', 'schemas/generated/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  { files: ['scripts/**/*.ts', 'scripts/**/*.mjs'], rules: { 'no-console': 'off' } },
  {
    // Short bodies: a function that needs more than a screenful is split into named steps (tests and benches excepted).
    files: ['**/*.ts'],
    ignores: ['**/*.test.ts', '**/testing/**', 'scripts/bench/**', 'scripts/eval/**', 'scripts/test/**', 'scripts/chaos/**'],
    rules: { 'max-lines-per-function': ['error', { max: 120, skipBlankLines: true, skipComments: true }] },
  },
  ...boundaryRules,
  prettier,
);
