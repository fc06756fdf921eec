import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lockfilePath, missingOptionals } from './lockfile-fix-optionals.ts';

describe('package-lock.json', () => {
  it('has an entry for every optional platform package, so `npm ci` accepts it', () => {
    const lock = JSON.parse(readFileSync(lockfilePath(), 'utf8')) as Parameters<typeof missingOptionals>[0];
    // If this fails after a dependency change: npx tsx scripts/lockfile-fix-optionals.ts
    expect([...missingOptionals(lock).keys()]).toEqual([]);
  });

  it('guards added entries by platform', () => {
    const missing = missingOptionals({
      packages: { 'node_modules/chdb': { optionalDependencies: { '@chdb/lib-linux-arm64-gnu': '1.0.0', plain: '1.0.0' } } },
    });
    expect(Object.fromEntries(missing)).toEqual({
      'node_modules/@chdb/lib-linux-arm64-gnu': {
        version: '1.0.0',
        optional: true,
        os: ['linux'],
        cpu: ['arm64'],
        libc: ['glibc'],
      },
    });
  });
});
