import { Kind, type DocumentNode, type ExecutionResult, type SelectionSetNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { secondReadAdmission, type SecondReadAdmission } from './second-read-admission.ts';

/**
 * Root fields whose only warehouse reads are day-range reads the finalized-day cache can vouch for, or shared list
 * reads (gateway.recentCacheMs) whose answer stays valid while the reader serves the same rows.
 */
const CACHEABLE_ROOT_FIELDS = new Set([
  'tokenMetricsDaily',
  'addressFlowsDaily',
  'anomalies',
  'topTokens',
  'tokens',
  'dataQuality',
  '__typename',
]);
/** Fields that read something else (token metadata, introspection): their answers may change at any time. */
const UNCACHEABLE_FIELDS = new Set(['token', '__schema', '__type']);

interface Dependency {
  entity: string;
  from: string;
  to: string;
}

/** A shared list read: its key in the reader's list cache and the very rows it was answered with. */
export interface RecentRead {
  readonly key: string;
  readonly rows: readonly unknown[];
}

/** Whether the reader would answer `read.key` with the same rows now (WarehouseReader.servesRecent). */
export type ServesRecent = (read: RecentRead) => boolean;

/**
 * What one operation read, filled in while it runs: it may be answered from the response cache next time only
 * if every warehouse read it made covered closed, final days (the finalized-day cache accepted or served them)
 * or was a shared list read, which the reader must still serve when the cached answer is used.
 */
export class ResponseScope {
  private cacheable = true;
  readonly dependencies: Dependency[] = [];
  readonly recentReads: RecentRead[] = [];

  /** A day-range read of `entity` whose days are all closed and final. */
  finalized(entity: string, from: string, to: string): void {
    this.dependencies.push({ entity, from, to });
  }

  /** A shared list read answered with `rows`. */
  recent(key: string, rows: readonly unknown[]): void {
    this.recentReads.push({ key, rows });
  }

  /** A read of data that may still change: the answer must not be reused. */
  uncacheable(): void {
    this.cacheable = false;
  }

  get reusable(): boolean {
    return this.cacheable && this.dependencies.length + this.recentReads.length > 0;
  }
}

/**
 * True when every field the operation can run is a finalized-day read or plain data under it: a query whose root
 * fields are tokenMetricsDaily / addressFlowsDaily only, without `token` lookups or introspection anywhere
 * (fragments included, @skip/@include not evaluated).
 */
export function cacheableOperation(document: DocumentNode, operationName: string | null | undefined): boolean {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation || operation.operation !== 'query') return false;
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d.selectionSet] as const] : [])),
  );
  const rootFields = fieldNames(operation.selectionSet, fragments, false);
  if (rootFields === undefined || !rootFields.every((name) => CACHEABLE_ROOT_FIELDS.has(name))) return false;
  return fieldNames(operation.selectionSet, fragments, true)?.every((name) => !UNCACHEABLE_FIELDS.has(name)) ?? false;
}

/** Field names of a selection set through fragments (all levels when `deep`); undefined on an unknown fragment. */
function fieldNames(
  set: SelectionSetNode,
  fragments: ReadonlyMap<string, SelectionSetNode>,
  deep: boolean,
  seen: Set<string> = new Set(),
): string[] | undefined {
  const names: string[] = [];
  for (const selection of set.selections) {
    let nested: SelectionSetNode | undefined;
    if (selection.kind === Kind.FIELD) {
      names.push(selection.name.value);
      nested = deep ? selection.selectionSet : undefined;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      nested = selection.selectionSet;
    } else {
      const name = selection.name.value;
      if (seen.has(name)) continue;
      seen.add(name);
      nested = fragments.get(name);
      if (!nested) return undefined;
    }
    if (!nested) continue;
    const inner = fieldNames(nested, fragments, deep, seen);
    if (inner === undefined) return undefined;
    names.push(...inner);
  }
  return names;
}

/** A result with its JSON text: graphql-yoga sends `stringify(result)` when a result carries one. */
type SerializedResult = ExecutionResult & { stringify?: (result: ExecutionResult) => string };

interface Entry {
  result: SerializedResult;
  dependencies: readonly Dependency[];
  recentReads: readonly RecentRead[];
}

export interface ResponseCacheParameters {
  /** Most entries kept; 0 disables the cache. */
  maxEntries: number;
  ttlMs: number;
  /** Most bytes of results kept (their JSON length); a flows answer can be 20 000 rows. */
  maxBytes?: number;
  /** Keep a result from its second run within the TTL (default true; see SecondReadAdmission). */
  admitOnSecondRead?: boolean;
  /** Checks a result's shared list reads at each hit (none: results that made such reads are not kept). */
  servesRecent?: ServesRecent;
  now?: () => number;
}

/** Default bound of the cached results' total JSON size. */
export const RESPONSE_CACHE_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Whole GraphQL results of operations that read only closed, final days or shared lists, keyed by the role and the
 * operation (document, operation name, variables). A hit skips parsing, validation and execution; authentication and
 * the rate limit run before it, and only error-free results are kept. Evicted like the finalized-day cache: a new
 * version of (entity, day) on the mart topics drops every result that read it. A result that read a shared list
 * (anomalies, topTokens, tokens, dataQuality) is used only while the reader still answers that list with the same
 * rows: it is exactly as fresh as executing the operation again (gateway.recentCacheMs).
 */
export class ResponseCache {
  private readonly lru: LRUCache<string, Entry> | undefined;
  private readonly byEntity = new Map<string, Set<string>>();
  private readonly admission: SecondReadAdmission | undefined;
  private readonly servesRecent: ServesRecent | undefined;
  hits = 0;

  constructor(params: ResponseCacheParameters) {
    const now = params.now ?? Date.now;
    this.servesRecent = params.servesRecent;
    this.lru =
      params.maxEntries > 0
        ? new LRUCache<string, Entry>({
            max: params.maxEntries,
            maxSize: params.maxBytes ?? RESPONSE_CACHE_MAX_BYTES,
            ttl: params.ttlMs,
            ttlResolution: 0,
            perf: { now },
            dispose: (entry, key) => {
              for (const d of entry.dependencies) this.byEntity.get(d.entity)?.delete(key);
            },
          })
        : undefined;
    this.admission = secondReadAdmission({ ...params, now });
  }

  static key(role: string, operationName: string | null | undefined, query: string, variables: unknown): string {
    return JSON.stringify([role, operationName ?? null, query, variables ?? null]);
  }

  /** The stored result, unless a shared list it read has since been refreshed (then it is dropped). */
  get(key: string): ExecutionResult | undefined {
    const entry = this.lru?.get(key);
    if (!entry) return undefined;
    if (!entry.recentReads.every((read) => this.servesRecent?.(read) === true)) {
      this.lru!.delete(key);
      return undefined;
    }
    this.hits += 1;
    return entry.result;
  }

  /** Keeps `result` when the operation read only finalized days, nothing failed, and it ran before (admission). */
  offer(key: string, result: ExecutionResult, scope: ResponseScope): void {
    if (!this.lru || !scope.reusable || result.errors?.length) return;
    if (scope.recentReads.length > 0 && !this.servesRecent) return;
    if (this.admission && !this.admission.admit(key)) return;
    const dependencies = [...scope.dependencies];
    // Serialised once, when stored: a hit hands Yoga this text (its `stringify` hook) instead of serialising the
    // same result again. Results with extensions are left to Yoga, which strips its internal ones when sending.
    const json = JSON.stringify(result);
    const size = key.length + json.length;
    if (size > this.lru.maxSize) return;
    const stored: SerializedResult = result.extensions ? result : { ...result, stringify: () => json };
    this.lru.set(key, { result: stored, dependencies, recentReads: [...scope.recentReads] }, { size });
    for (const d of dependencies) {
      let keys = this.byEntity.get(d.entity);
      if (!keys) this.byEntity.set(d.entity, (keys = new Set()));
      keys.add(key);
    }
  }

  /** A new version of (entity, day) was published: drop every result that read it. */
  invalidate(entity: string, day: string): void {
    const keys = this.byEntity.get(entity);
    if (!this.lru || !keys) return;
    for (const key of [...keys]) {
      const entry = this.lru.peek(key);
      if (!entry || entry.dependencies.some((d) => d.entity === entity && d.from <= day && day <= d.to)) this.lru.delete(key);
    }
    if (keys.size === 0) this.byEntity.delete(entity);
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }
}
