import { MigrationInvalidError } from './errors.ts';
import { quoteIdentifier } from './load-migrations.ts';

/**
 * Cluster rendering of migration DDL (docs/adr/0007-clickhouse-cluster-ddl.md).
 *
 * Migrations are written once, for a single server. With `clickhouse.cluster` set, the runner passes
 * every statement through {@link renderForCluster} before binding the database:
 *   - CREATE / ALTER / DROP / TRUNCATE / RENAME / EXCHANGE get `ON CLUSTER <name>` after the object name,
 *     so the DDL runs on every replica through the distributed DDL queue;
 *   - every MergeTree-family engine becomes its Replicated variant with the ZooKeeper/Keeper path
 *     `/clickhouse/tables/{shard}/{database}/<table>` and replica `{replica}` (server macros), the
 *     engine's own arguments kept after those two.
 * Without a cluster the statement is returned unchanged (same string), so single-server output is
 * byte-identical to the file.
 */

/** Keeper path prefix of replicated tables; `{shard}` and `{replica}` are macros of each server's config. */
export const REPLICATED_PATH_PREFIX = '/clickhouse/tables/{shard}/{database}';

const MERGE_TREE_FAMILY = [
  'VersionedCollapsingMergeTree',
  'AggregatingMergeTree',
  'CollapsingMergeTree',
  'ReplacingMergeTree',
  'SummingMergeTree',
  'GraphiteMergeTree',
  'CoalescingMergeTree',
  'MergeTree',
] as const;

// Object names as migrations write them: {{database}}.name, `db`.`name`, db.name or name.
const PART = '(?:\\{\\{database\\}\\}|`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)';
const NAME = `${PART}(?:\\.${PART})?`;

/** The DDL forms that take ON CLUSTER right after the object name (ClickHouse grammar). */
const DDL_HEADS: RegExp[] = [
  new RegExp(
    `^(CREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:TEMPORARY\\s+)?(?:TABLE|VIEW|MATERIALIZED\\s+VIEW|LIVE\\s+VIEW|DICTIONARY|DATABASE|FUNCTION)\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?)(${NAME})`,
    'i',
  ),
  new RegExp(`^(REPLACE\\s+(?:TEMPORARY\\s+)?(?:TABLE|DICTIONARY)\\s+)(${NAME})`, 'i'),
  new RegExp(`^(ALTER\\s+(?:TEMPORARY\\s+)?TABLE\\s+)(${NAME})`, 'i'),
  new RegExp(`^(DROP\\s+(?:TEMPORARY\\s+)?(?:TABLE|VIEW|DICTIONARY|DATABASE|FUNCTION)\\s+(?:IF\\s+EXISTS\\s+)?)(${NAME})`, 'i'),
  new RegExp(`^(TRUNCATE\\s+(?:TEMPORARY\\s+)?(?:TABLE\\s+)?(?:IF\\s+EXISTS\\s+)?)(${NAME})`, 'i'),
  // RENAME and EXCHANGE take ON CLUSTER after the whole `a TO b[, c TO d]` list.
  new RegExp(`^((?:RENAME|EXCHANGE)\\s+(?:TABLE|DICTIONARY|DATABASE)\\s+${NAME}\\s+(?:TO|AND)\\s+)(${NAME})`, 'i'),
];

/** Statements that change no schema (data migrations); they replicate through the engine, not ON CLUSTER. */
const NON_DDL = /^(INSERT|SELECT|WITH|OPTIMIZE|SET|SYSTEM|GRANT|REVOKE)\b/i;

export interface ClusterRenderOptions {
  /** Cluster name from `clickhouse.cluster` (remote_servers); empty or undefined renders nothing. */
  cluster?: string | undefined;
}

/** The statement as it runs on `cluster`; unchanged (the same string) when no cluster is set. */
export function renderForCluster(statement: string, options: ClusterRenderOptions): string {
  const cluster = options.cluster ?? '';
  if (cluster === '') return statement;
  const onCluster = ` ON CLUSTER ${quoteIdentifier(cluster)}`;
  if (NON_DDL.test(statement)) return statement;
  for (const head of DDL_HEADS) {
    const match = head.exec(statement);
    if (!match) continue;
    if (/^\s*ON\s+CLUSTER\b/i.test(statement.slice(match[0].length))) {
      throw new MigrationInvalidError('migrations must not name a cluster; set clickhouse.cluster instead', {
        details: { statement: statement.slice(0, 200) },
      });
    }
    const withCluster = match[0] + onCluster + statement.slice(match[0].length);
    return replicateEngine(withCluster, tableName(match[2]!));
  }
  throw new MigrationInvalidError(
    `cannot render this statement for a cluster (expected CREATE, ALTER, DROP, TRUNCATE, RENAME, EXCHANGE or a data statement)`,
    { details: { statement: statement.slice(0, 200) } },
  );
}

/** The unquoted table part of an object name: `{{database}}.raw_blocks` → raw_blocks. */
function tableName(name: string): string {
  const parts = name.match(new RegExp(PART, 'g')) ?? [name];
  return parts[parts.length - 1]!.replace(/^`|`$/g, '');
}

/** `ENGINE = XMergeTree(args)` → `ENGINE = ReplicatedXMergeTree('<path>/<table>', '{replica}', args)`. */
function replicateEngine(statement: string, table: string): string {
  const engine = new RegExp(`\\bENGINE\\s*=\\s*(${MERGE_TREE_FAMILY.join('|')})\\b`, 'gi');
  let out = '';
  let last = 0;
  for (let match = engine.exec(statement); match !== null; match = engine.exec(statement)) {
    const family = MERGE_TREE_FAMILY.find((f) => f.toLowerCase() === match![1]!.toLowerCase())!;
    let end = match.index + match[0].length;
    let args = '';
    const open = /^\s*\(/.exec(statement.slice(end));
    if (open) {
      const close = matchingParen(statement, end + open[0].length - 1);
      args = statement.slice(end + open[0].length, close).trim();
      end = close + 1;
    }
    const replicated = [`'${REPLICATED_PATH_PREFIX}/${table.replace(/'/g, "\\'")}'`, `'{replica}'`];
    if (args !== '') replicated.push(args);
    out += `${statement.slice(last, match.index)}ENGINE = Replicated${family}(${replicated.join(', ')})`;
    last = end;
    engine.lastIndex = end;
  }
  return out + statement.slice(last);
}

/** Index of the `)` closing the `(` at `open`, skipping quoted text. */
function matchingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'" || ch === '`' || ch === '"') {
      i++;
      while (i < text.length && text[i] !== ch) i += text[i] === '\\' ? 2 : 1;
    } else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  throw new MigrationInvalidError('unbalanced parentheses in an ENGINE clause', {
    details: { text: text.slice(open, open + 200) },
  });
}
