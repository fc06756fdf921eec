import type { WarehouseRole } from '../../dwh/client.ts';
import { CH, WarehouseError } from './errors.ts';
import { findCalls, type StatementInfo } from './sql-scanner.ts';

/**
 * What each role may ask of the embedded engine beyond plain tables (ADR 0012).
 * A ClickHouse server confines `file()` to `user_files_path` and gates table
 * functions, engines and SYSTEM/BACKUP by grants; the embedded engine runs as
 * this process with no access control, so the endpoint checks every statement
 * (as the scanner sees it: outside literals and comments) before the engine.
 */

/**
 * Table functions of the engine this was written against (chdb 3.4, engine 26.7:
 * `SELECT name FROM system.table_functions`). The server adds the running engine's
 * own list at start, so a table function of a newer engine is refused too.
 */
export const ENGINE_TABLE_FUNCTIONS: readonly string[] = Object.freeze([
  'arrowstream', 'azureBlobStorage', 'azureBlobStorageCluster', 'cluster', 'clusterAllReplicas', 'cosn', 'deltaLake',
  'deltaLakeAzure', 'deltaLakeAzureCluster', 'deltaLakeCluster', 'deltaLakeLocal', 'deltaLakeS3', 'deltaLakeS3Cluster',
  'dictionary', 'eval', 'executable', 'file', 'fileCluster', 'filesystem', 'format', 'fuzzJSON', 'fuzzQuery', 'gcs',
  'generate_series', 'generateRandom', 'generateSeries', 'hdfs', 'hdfsCluster', 'hudi', 'hudiCluster', 'iceberg',
  'icebergAzure', 'icebergAzureCluster', 'icebergCluster', 'icebergHDFS', 'icebergHDFSCluster', 'icebergLocal',
  'icebergLocalCluster', 'icebergS3', 'icebergS3Cluster', 'input', 'jdbc', 'loop', 'merge', 'mergeTreeAnalyzeIndexes',
  'mergeTreeAnalyzeIndexesUUID', 'mergeTreeIndex', 'mergeTreeProjection', 'mergeTreeTextIndex', 'mongodb', 'mysql',
  'null', 'numbers', 'numbers_mt', 'odbc', 'oss', 'paimon', 'paimonAzure', 'paimonAzureCluster', 'paimonCluster',
  'paimonHDFS', 'paimonHDFSCluster', 'paimonLocal', 'paimonS3', 'paimonS3Cluster', 'postgresql', 'primes',
  'prometheusQuery', 'prometheusQueryRange', 'redis', 'remote', 'remoteSecure', 's3', 's3Cluster', 'sqlite',
  'SQLStandardValues', 'timeSeriesData', 'timeSeriesMetrics', 'timeSeriesSamples', 'timeSeriesSelector',
  'timeSeriesTags', 'url', 'urlCluster', 'values', 'view', 'viewExplain', 'viewIfPermitted', 'ytsaurus', 'zeros',
  'zeros_mt',
]); // prettier-ignore

/**
 * Generators over no external data: all the pipeline, migrations, gateway, recompute, DQ checks
 * and tests use is `numbers`; `values` is also how `INSERT ... VALUES (...)` reads; `format` is also
 * the scalar `format('{}', x)` (as a table function it parses only the inline text it is given).
 */
const GENERATORS = ['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generateSeries', 'generate_series', 'values', 'format'];

export const ALLOWED_TABLE_FUNCTIONS: Readonly<Record<WarehouseRole, readonly string[]>> = Object.freeze({
  writer: GENERATORS,
  readonly: GENERATORS,
});

/**
 * Scalar functions that reach the host: `file(path)` reads any file (even under readonly=1),
 * `catboostEvaluate` loads a model library from a path. Refused wherever their name appears,
 * since a higher-order function takes one by name (`arrayMap(file, ['/etc/passwd'])`).
 */
const HOST_SCALAR_FUNCTIONS = ['file', 'catboostEvaluate'];

/** Calls that reach the host without being table functions: `disk(type = local, path = ...)` in a table's SETTINGS. */
const HOST_FUNCTIONS = [...HOST_SCALAR_FUNCTIONS, 'disk'];

const MERGE_TREE_FAMILY = [
  'MergeTree',
  'ReplacingMergeTree',
  'SummingMergeTree',
  'AggregatingMergeTree',
  'CollapsingMergeTree',
  'VersionedCollapsingMergeTree',
  'GraphiteMergeTree',
  'CoalescingMergeTree',
];

/** Engines that keep data in the engine's own data directory (the migrations use MergeTree variants and Memory). */
export const ALLOWED_TABLE_ENGINES: ReadonlySet<string> = new Set([
  ...MERGE_TREE_FAMILY,
  ...MERGE_TREE_FAMILY.map((engine) => `Replicated${engine}`),
  'Memory',
  'Null',
  'Log',
  'TinyLog',
  'StripeLog',
]);

/** `CREATE DATABASE ... ENGINE = Filesystem('/')` would expose the host's files as tables. */
export const ALLOWED_DATABASE_ENGINES: ReadonlySet<string> = new Set(['Atomic', 'Memory']);

/** SYSTEM (shutdown, reloads, caches), BACKUP/RESTORE (to/from host paths and URLs): nothing the pipeline runs. */
const REFUSED_STATEMENTS = new Set(['SYSTEM', 'BACKUP', 'RESTORE']);

/**
 * Query settings that name a host path or a network endpoint, or lift the endpoint's own
 * defaults. The writer may change any other setting; the read-only user none (settings.ts).
 */
const HOST_SETTINGS = new Set(
  [
    'format_schema',
    'format_schema_source',
    'format_template_resultset',
    'format_template_row',
    'output_format_schema',
    'input_format_record_errors_file_path',
    'format_avro_schema_registry_url',
    'dynamic_disk_allow_from_env',
    'dynamic_disk_allow_from_zk',
    'dynamic_disk_allow_include',
    'allow_introspection_functions',
  ].map((name) => name.toLowerCase()),
);

/** Setting names compare case-insensitively here, so no spelling slips past. */
export function isHostSetting(name: string): boolean {
  return HOST_SETTINGS.has(name.toLowerCase());
}

export function refused(user: string, what: string): WarehouseError {
  return new WarehouseError(CH.ACCESS_DENIED, `${user}: Not enough privileges: ${what} is not allowed on this endpoint`, {
    oraculCode: 'ORACUL_WAREHOUSE_REFUSED',
  });
}

export function readonlyViolation(name: string): WarehouseError {
  return new WarehouseError(CH.READONLY, `Cannot modify '${name}' setting in readonly mode`, {
    oraculCode: 'ORACUL_WAREHOUSE_REFUSED',
  });
}

export interface PolicyUser {
  readonly name: string;
  readonly role: WarehouseRole;
}

/**
 * The checks of one endpoint. Names of calls compare case-insensitively: the engine
 * resolves most table functions case-sensitively (`FILE(` is unknown) and a few
 * aliases not (`VALUES(`), so comparing lower-cased refuses every spelling the
 * engine might run, at the price of refusing spellings it would reject anyway.
 */
export class StatementPolicy {
  private readonly guarded: ReadonlySet<string>;
  private readonly allowed: Readonly<Record<WarehouseRole, ReadonlySet<string>>>;

  /** `engineTableFunctions`: the running engine's `system.table_functions` names. */
  constructor(engineTableFunctions: Iterable<string> = []) {
    this.guarded = new Set([...ENGINE_TABLE_FUNCTIONS, ...engineTableFunctions, ...HOST_FUNCTIONS].map(lower));
    this.allowed = {
      writer: new Set(ALLOWED_TABLE_FUNCTIONS.writer.map(lower)),
      readonly: new Set(ALLOWED_TABLE_FUNCTIONS.readonly.map(lower)),
    };
  }

  /** Throws ACCESS_DENIED (497, HTTP 403) or READONLY (164) for what `user` may not run. */
  assertStatement(info: StatementInfo, user: PolicyUser): void {
    if (REFUSED_STATEMENTS.has(info.keyword)) throw refused(user.name, `${info.keyword} statement`);
    if (info.objectType === 'DICTIONARY') throw refused(user.name, 'a dictionary (its SOURCE reads files, URLs and commands)');
    if (info.attachFromPath) throw refused(user.name, "ATTACH ... FROM '<path>'");
    if (info.kind === 'ddl') this.assertEngines(info, user);
    this.assertCalls(info.calls, user);
    this.assertNames(info.names, user);
    this.assertSettingNames(info.settingNames, user);
  }

  /** `INSERT ... FORMAT Values` rows are SQL expressions the engine evaluates (`(file('/etc/passwd'))`). */
  assertInsertData(format: string | undefined, data: Buffer, user: PolicyUser): void {
    if (format === undefined || format.toLowerCase() !== 'values') return;
    const { calls, names } = findCalls(data.toString('latin1'));
    this.assertCalls(calls, user);
    this.assertNames(names, user);
  }

  private assertNames(names: ReadonlySet<string>, user: PolicyUser): void {
    for (const name of HOST_SCALAR_FUNCTIONS) {
      if (names.has(lower(name))) throw refused(user.name, `host function '${name}' (${user.role} role)`);
    }
  }

  private assertEngines(info: StatementInfo, user: PolicyUser): void {
    const allowed = info.objectType === 'DATABASE' ? ALLOWED_DATABASE_ENGINES : ALLOWED_TABLE_ENGINES;
    for (const engine of info.engines) {
      if (!allowed.has(engine)) throw refused(user.name, `engine ${engine}`);
    }
  }

  private assertCalls(calls: readonly string[], user: PolicyUser): void {
    for (const call of calls) {
      const name = lower(call);
      if (this.guarded.has(name) && !this.allowed[user.role].has(name)) {
        throw refused(user.name, `table function or host function '${call}' (${user.role} role)`);
      }
    }
  }

  private assertSettingNames(names: readonly string[], user: PolicyUser): void {
    for (const name of names) {
      if (user.role === 'readonly') throw readonlyViolation(name);
      if (isHostSetting(name)) throw refused(user.name, `setting '${name}'`);
    }
  }
}

function lower(name: string): string {
  return name.toLowerCase();
}
