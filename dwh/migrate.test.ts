import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { MIGRATIONS_DIR, loadMigrations } from './load-migrations.ts';
import { migrate } from './migrate.ts';
import { migrationStatus } from './migration-status.ts';
import { TOKEN_SEED_FILE } from './seed-tokens.ts';

/**
 * The runner through the real @clickhouse/client, with the real engine plugged
 * in-process as its connection (chdb/connection): every query the runner sends
 * runs on ClickHouse 26.x, without an HTTP server. migrate.it.test.ts repeats
 * the essentials over HTTP against `oracul warehouse serve`.
 */
const logger = createLogger({ level: 'silent', pretty: false });
let dir: string;
let client: ClickHouseClient;
/** The repository's migrations, and the number a migration added by a test gets. */
const REPO_MIGRATIONS = loadMigrations();
const VERSIONS = REPO_MIGRATIONS.map((m) => m.version);
const NEXT_VERSION = Math.max(...VERSIONS) + 1;
const NEXT = String(NEXT_VERSION).padStart(4, '0');
let n = 0;
const freshDatabase = () => `oracul_migrate_test_${++n}`;

async function rows<T>(query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

function copyOfMigrations(): string {
  const copy = mkdtempSync(join(tmpdir(), 'oracul-migrations-'));
  cpSync(MIGRATIONS_DIR, copy, { recursive: true });
  return copy;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oracul-chdb-client-'));
  // chdb types its Connection against @clickhouse/client-common, the client bundles its own copy of the same interface.
  const connection = createChdbConnection({ path: dir }) as unknown as NonNullable<ClickHouseClientConfigOptions['connection']>;
  client = createClient({ connection, clickhouse_settings: { output_format_json_quote_64bit_integers: 1 } });
});

afterAll(async () => {
  await client?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('migrate', () => {
  it('creates the database, applies every migration, records it, seeds tokens; a second run does nothing', async () => {
    const database = freshDatabase();
    const first = await migrate({ client, database, logger });
    expect(first.applied.map((m) => m.version)).toEqual(VERSIONS);
    expect(first.alreadyApplied).toBe(0);
    expect(first.seededTokens).toBe(7);

    const history = await rows<{ version: number; name: string; checksum: string; duration_ms: number }>(
      `SELECT version, name, checksum, duration_ms FROM ${database}.schema_migrations ORDER BY version`,
    );
    expect(history.map((h) => `${h.version}_${h.name}`)).toEqual(REPO_MIGRATIONS.map((m) => `${m.version}_${m.name}`));
    for (const h of history) expect(h.checksum).toMatch(/^[0-9a-f]{64}$/);

    const second = await migrate({ client, database, logger });
    expect(second).toEqual({ applied: [], alreadyApplied: VERSIONS.length, seededTokens: 0 });
    expect(await rows(`SELECT version FROM ${database}.schema_migrations`)).toHaveLength(VERSIONS.length);

    const tokens = await rows<{ symbol: string; decimals: number; address: string }>(
      `SELECT symbol, decimals, address FROM ${database}.tokens FINAL ORDER BY symbol`,
    );
    expect(tokens.map((t) => `${t.symbol}:${t.decimals}`)).toEqual([
      'DAI:18',
      'LINK:18',
      'UNI:18',
      'USDC:6',
      'USDT:6',
      'WBTC:8',
      'WETH:18',
    ]);
    expect(await rows(`SELECT * FROM ${database}.tokens`)).toHaveLength(7); // no second copy inserted, even before merges
  });

  it('refuses with ORACUL_MIGRATION_CHECKSUM_MISMATCH when an applied file changed, and applies nothing', async () => {
    const database = freshDatabase();
    const migrationsDir = copyOfMigrations();
    await migrate({ client, database, logger, migrationsDir, tokenSeedFile: false });
    appendFileSync(join(migrationsDir, '0002_prices.sql'), '\n-- an innocent-looking edit\n');
    writeFileSync(
      join(migrationsDir, `${NEXT}_more.sql`),
      `CREATE TABLE IF NOT EXISTS {{database}}.more (x UInt8) ENGINE = MergeTree ORDER BY x;`,
    );

    await expect(migrate({ client, database, logger, migrationsDir, tokenSeedFile: false })).rejects.toMatchObject({
      code: 'ORACUL_MIGRATION_CHECKSUM_MISMATCH',
      message: expect.stringContaining('0002_prices'),
    });
    expect(await rows(`SELECT name FROM system.tables WHERE database = '${database}' AND name = 'more'`)).toEqual([]);
    const status = await migrationStatus({ client, database, migrationsDir });
    expect(status.map((s) => `${s.version}:${s.state}`)).toEqual([
      ...VERSIONS.map((v) => `${v}:${v === 2 ? 'changed' : 'applied'}`),
      `${NEXT_VERSION}:pending`,
    ]);
  });

  it('applies a new migration later, and stops at a failing statement without recording it', async () => {
    const database = freshDatabase();
    const migrationsDir = copyOfMigrations();
    await migrate({ client, database, logger, migrationsDir, tokenSeedFile: false });

    writeFileSync(
      join(migrationsDir, `${NEXT}_broken.sql`),
      `CREATE TABLE IF NOT EXISTS {{database}}.ok_part (x UInt8) ENGINE = MergeTree ORDER BY x;\nCREATE TABLE IF NOT EXISTS {{database}}.bad (x NoSuchType) ENGINE = MergeTree ORDER BY x;`,
    );
    await expect(migrate({ client, database, logger, migrationsDir, tokenSeedFile: false })).rejects.toMatchObject({
      code: 'ORACUL_MIGRATION_FAILED',
      details: { version: NEXT_VERSION, step: expect.stringContaining('statement 2/2') },
    });
    expect((await migrationStatus({ client, database, migrationsDir })).at(-1)).toMatchObject({
      version: NEXT_VERSION,
      state: 'pending',
    });

    // Fixed file (never applied, so editing it is fine): the re-run repeats statement 1 harmlessly.
    writeFileSync(
      join(migrationsDir, `${NEXT}_broken.sql`),
      `CREATE TABLE IF NOT EXISTS {{database}}.ok_part (x UInt8) ENGINE = MergeTree ORDER BY x;\nCREATE TABLE IF NOT EXISTS {{database}}.bad (x UInt8) ENGINE = MergeTree ORDER BY x;`,
    );
    const fixed = await migrate({ client, database, logger, migrationsDir, tokenSeedFile: false });
    expect(fixed.applied.map((m) => m.name)).toEqual(['broken']);
    expect((await migrationStatus({ client, database, migrationsDir })).every((s) => s.state === 'applied')).toBe(true);
  });

  it('re-seeds only token rows whose content changed', async () => {
    const database = freshDatabase();
    const seedDir = mkdtempSync(join(tmpdir(), 'oracul-seed-'));
    const seed = join(seedDir, 'tokens.csv');
    cpSync(TOKEN_SEED_FILE, seed);
    expect((await migrate({ client, database, logger, tokenSeedFile: seed })).seededTokens).toBe(7);
    appendFileSync(seed, 'mainnet,1,0x7fc66500c84a76ad7e9c93437bfc5ac33e2ddae9,AAVE,Aave Token,18\n');
    expect((await migrate({ client, database, logger, tokenSeedFile: seed })).seededTokens).toBe(1);
    expect(await rows(`SELECT symbol FROM ${database}.tokens FINAL WHERE symbol = 'AAVE'`)).toEqual([{ symbol: 'AAVE' }]);
  });

  it('reports an unreachable server as retryable ORACUL_SERVICE_UNHEALTHY', async () => {
    const unreachable = createClient({ url: 'http://127.0.0.1:9', request_timeout: 2_000 });
    try {
      await expect(migrate({ client: unreachable, database: 'oracul_x', logger })).rejects.toMatchObject({
        code: 'ORACUL_SERVICE_UNHEALTHY',
        retryable: true,
      });
    } finally {
      await unreachable.close();
    }
  });

  it('reports a missing database as all pending, and refuses an unsafe database name', async () => {
    const status = await migrationStatus({ client, database: 'oracul_never_created' });
    expect(status.every((s) => s.state === 'pending')).toBe(true);
    await expect(migrate({ client, database: 'x; DROP', logger })).rejects.toMatchObject({ code: 'ORACUL_MIGRATION_INVALID' });
  });
});
