import type { Kafka } from 'kafkajs';
import type { OraculConfig } from '../../../config/schema.ts';
import type { Common } from '../../../core/common.ts';
import { createKafka } from '../../../core/kafka/client.ts';
import { componentLogger, type Logger } from '../../../core/logger.ts';
import type { BlockRecord, Serdes } from '../../../schemas/index.ts';
import type { ChainCapabilities } from '../capabilities/detect-capabilities.ts';
import { createBlockFetcher, type BlockFetcher } from '../fetch/block-fetcher.ts';
import type { BlockBundle } from '../normalize/records.ts';
import type { BlockRef } from '../reorg/block-ref.ts';
import { detectReorg, type ReorgCheck } from '../reorg/detect-reorg.ts';
import { ingestRpcDefaults } from '../rpc/ingest-rpc-defaults.ts';
import type { RpcClient } from '../rpc/rpc-client.ts';
import { openSourceState, type SourceCheckpoint, type SourceState } from '../checkpoint/source-state.ts';
import type { RecentWindow } from '../checkpoint/recent-window.ts';
import { createBlockPublisher } from '../publish/publisher.ts';
import type { EncodedBlockRecords, RawTopicEncoders } from '../publish/encoded-block.ts';
import { toBlockRecords, toRetractionRecords } from '../publish/to-avro.ts';
import { createPreparePool, type PreparePool } from '../prepare/prepare-pool.ts';
import { prepareRange, type PreparedBatch } from '../prepare/prepare-range.ts';
import { SourceStoppedError } from './errors.ts';
import { createRangeQueue, type RangeQueue } from './range-queue.ts';
import {
  chainHead,
  checkpointBatch,
  connectChain,
  createRunMeter,
  createVersionClock,
  fetchRetrying,
  headReaches,
  openPublisherSlot,
  publisherTimings,
  publishRetrying,
  resolveChain,
  resumeFromTail,
  rethrowUnlessStopped,
  sourceStateDir,
  startBlock,
  stopSignal,
  type ChainConfig,
  type ChainHead,
  type CommittedBatch,
  type IngestConfig,
  type PublisherSlot,
  type SourceProgress,
  type SourceRun,
  type SourceTimings,
  type VersionClock,
} from './source-run.ts';

export interface RunSummary extends SourceProgress {
  mode: 'backfill' | 'live';
  /** Where the run started (a resume skips what earlier runs published). */
  resumedFrom: number | null;
  strategy: string;
  /** JSON-RPC calls made (the source's thread and its workers), and how many of them were retries. */
  rpcCalls: number;
  rpcRetries: number;
  /** Wall time of the loop by phase (ms). */
  timings: SourceTimings;
  blocksPerS: number;
  logsPerS: number;
}

export interface BlockSourceOptions {
  serdes: Serdes;
  /** Chain name in config.chains; default the first one. */
  chain?: string;
  /** Overrides config.chains[].rpcUrls (tests, benches). */
  rpcUrls?: string[];
  /** Overrides config.ingest (batch size, concurrency, rpc tuning...). */
  ingest?: Partial<OraculConfig['ingest']>;
  /** LMDB dir; default config.ingest.stateDir or <stack.stateDir>/source. */
  stateDir?: string;
  kafka?: Kafka;
  /** Called after every committed batch (CLI progress bar). */
  onProgress?: (progress: SourceProgress) => void;
  /** Test hook: after a batch's Kafka transaction committed, before its LMDB checkpoint. */
  afterPublish?: (lastBlock: number) => void | Promise<void>;
  /** Called after each committed batch (tests: crash points). */
  afterCommit?: (checkpoint: SourceCheckpoint) => void | Promise<void>;
}

export interface RunRange {
  /** First block (backfill, or live start when there is no checkpoint). */
  from?: number;
  /** Last block; absent = live mode, follow head − confirmations until stopped. */
  to?: number;
  signal?: AbortSignal;
}

/**
 * The block source of one chain: fetches blocks (batches fetched concurrently, published in order),
 * checks each against the recent-hash window (reorgs → retractions, then the canonical branch),
 * publishes a batch's records in one Kafka transaction, then checkpoints it in LMDB.
 * Backfill (`to` given) and live mode (`to` absent: follow head − confirmations) share this loop.
 */
export async function runBlockSource(common: Common, options: BlockSourceOptions, range: RunRange): Promise<RunSummary> {
  const { config } = common;
  const chain = resolveChain(config, options.chain);
  const ingest = { ...config.ingest, ...options.ingest };
  const logger: Logger = componentLogger(common.logger, 'block-source', { chain: chain.name });
  const live = range.to === undefined;
  const stream = live ? 'live' : `backfill-${range.from ?? 0}-${range.to}`;
  const signal = stopSignal(range.signal ?? common.shutdown.signal, ingest.concurrency);
  const { rpc, caps, urls } = await connectChain({ chain, urls: options.rpcUrls, ingest, logger });
  const fetcher = createBlockFetcher({
    rpc,
    chainId: chain.chainId,
    strategy: caps.strategy,
    maxLogsRange: ingest.maxLogsRange,
    logger,
  });
  const kafka = options.kafka ?? createKafka({ config, logger: common.logger, clientSuffix: `source-${chain.name}` });
  const state = openSourceState({ dir: sourceStateDir(config, options.stateDir), chainId: chain.chainId, stream });
  let slot: PublisherSlot | undefined;
  let pool: PreparePool | undefined;
  try {
    const transactionalId = `${config.kafka.clientId}-source-${chain.name}-${stream}`;
    slot = await openPublisherSlot(() =>
      createBlockPublisher({ kafka, serdes: options.serdes, transactionalId, logger, compression: ingest.compression }),
    );
    const { encoders } = slot.current;
    // Live mode follows the head a block at a time: its own thread keeps up, and no workers hold memory while idle.
    if (ingest.fetchWorkers > 0 && !live) pool = startPreparePool({ chain, ingest, urls, fetcher, encoders, logger });
    return await ingestBlocks({
      chain,
      ingest,
      logger,
      signal,
      live,
      rpc,
      caps,
      fetcher,
      pool,
      encoders,
      slot,
      state,
      kafka,
      options,
      range,
    });
  } finally {
    await pool?.close().catch(() => undefined);
    await slot?.current.close().catch(() => undefined);
    await state.close();
  }
}

/** What a run is given: its chain, endpoints, fetcher, producer, LMDB state, options and range. */
interface BlockSourceSetup {
  readonly chain: ChainConfig;
  readonly ingest: IngestConfig;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly live: boolean;
  readonly rpc: RpcClient;
  readonly caps: ChainCapabilities;
  readonly fetcher: BlockFetcher;
  readonly pool: PreparePool | undefined;
  readonly encoders: RawTopicEncoders;
  readonly slot: PublisherSlot;
  readonly state: SourceState;
  readonly kafka: Kafka;
  readonly options: BlockSourceOptions;
  readonly range: RunRange;
}

/** A prepared batch and the version of its last block. */
interface VersionedBatch {
  batch: PreparedBatch;
  lastVersion: number;
}

/** A run under way: its setup, and where the loop stands. */
interface BlockLoop {
  readonly s: BlockSourceSetup;
  readonly run: SourceRun;
  readonly head: ChainHead;
  /** Hashes kept in the window below its tip. */
  readonly keep: number;
  /** Whole batches go into a transaction: at most this many blocks are committed but not yet checkpointed. */
  readonly maxTxBlocks: number;
  readonly versions: VersionClock;
  readonly queue: RangeQueue<VersionedBatch>;
  next: number;
  window: RecentWindow;
  /**
   * Highest version in a committed transaction: what the checkpoint keeps. `versions.last` runs ahead of it
   * (versions are reserved for batches in flight), and the tail read at startup must still see a batch
   * committed after the last checkpoint as unseen.
   */
  publishedVersion: number;
}

function startPreparePool(p: {
  chain: ChainConfig;
  ingest: IngestConfig;
  urls: readonly string[];
  fetcher: BlockFetcher;
  encoders: RawTopicEncoders;
  logger: Logger;
}): PreparePool {
  return createPreparePool({
    size: p.ingest.fetchWorkers,
    logger: p.logger,
    init: {
      chain: p.chain.name,
      chainId: p.chain.chainId,
      endpoints: [...p.urls],
      rpc: ingestRpcDefaults(p.ingest),
      strategy: p.fetcher.strategy,
      maxLogsRange: p.ingest.maxLogsRange,
      schemaIds: {
        blocks: p.encoders.blocks.schemaId,
        transactions: p.encoders.transactions.schemaId,
        logs: p.encoders.logs.schemaId,
      },
      logLevel: p.logger.level,
    },
  });
}

/** Resume, then follow the chain until the range's end (backfill) or a stop (live); returns the run's summary. */
async function ingestBlocks(s: BlockSourceSetup): Promise<RunSummary> {
  const loop = await resume(s);
  logStart(loop);
  try {
    await followChain(loop);
  } catch (error) {
    rethrowUnlessStopped(loop.run, error, 'block source failed');
  } finally {
    loop.run.meter.stop();
    loop.queue.abandon();
  }
  return summarize(loop);
}

/** The checkpoint and what Kafka committed after it: where this run starts, and its loop. */
async function resume(s: BlockSourceSetup): Promise<BlockLoop & { resumedFrom: number | null }> {
  const keep = s.chain.confirmations + s.ingest.reorgMargin;
  const maxTxBlocks = Math.max(s.ingest.batchSize, s.ingest.transactionMaxBlocks);
  const resumed = await resumeFromTail({
    kafka: s.kafka,
    serdes: s.options.serdes,
    chainId: s.chain.chainId,
    state: s.state,
    range: s.range,
    perPartition: maxTxBlocks * 2 + keep,
    keep,
    logger: s.logger,
    pick: fullBlocksBeforeRetraction,
  });
  const head = chainHead(s.caps.head, s.chain.confirmations);
  const { next, window } = startBlock(resumed, s.range.from, head.safe);
  const versions = createVersionClock(resumed.lastVersion);
  const target = () => targetBlock(s, head);
  const meter = createRunMeter({
    chain: s.chain.name,
    logger: s.logger,
    fromBlock: next,
    toBlock: () => s.range.to ?? head.safe(),
    head,
    progressIntervalS: s.ingest.progressIntervalS,
    rpcStats: () => rpcStats(s),
  });
  const run: SourceRun = { chain: s.chain.name, logger: s.logger, signal: s.signal, meter };
  const queue = createRangeQueue<VersionedBatch>({
    first: next,
    concurrency: s.ingest.concurrency,
    target,
    size: () => s.ingest.batchSize,
    start: (from, to) => {
      const versionBase = versions.reserve(to - from + 1);
      return prepareRetrying(s, run, from, to, versionBase).then((batch) => ({ batch, lastVersion: versionBase + to - from }));
    },
  });
  const publishedVersion = resumed.lastVersion;
  return { s, run, head, keep, maxTxBlocks, versions, queue, next, window, publishedVersion, resumedFrom: resumed.resumedFrom };
}

/**
 * The tail records this full stream may adopt: blocks below the first retraction. A transfers-only record
 * (log_count null) is not this stream's block: it is fetched again, in full.
 */
function fullBlocksBeforeRetraction(unseen: readonly BlockRecord[]): Map<number, BlockRecord> {
  const retractedAt = Math.min(...unseen.filter((r) => r.kind === 'reorg').map((r) => r.block_number));
  const candidates = new Map<number, BlockRecord>();
  for (const r of unseen) {
    if (r.kind === 'block' && r.header && r.header.log_count !== null && r.block_number < retractedAt)
      candidates.set(r.block_number, r);
  }
  return candidates;
}

function logStart(loop: BlockLoop & { resumedFrom: number | null }): void {
  const { s } = loop;
  s.logger.info({
    msg: s.live ? 'live ingestion starting' : 'backfill starting',
    from_block: loop.next,
    to_block: s.range.to ?? null,
    resumed: loop.resumedFrom !== null && loop.next === loop.resumedFrom,
    strategy: s.fetcher.strategy,
    head: loop.head.current,
    confirmations: s.chain.confirmations,
    batch_size: s.ingest.batchSize,
    concurrency: s.ingest.concurrency,
  });
}

/** The highest block that may be fetched now: the range's end, at most the safe head. */
const targetBlock = (s: BlockSourceSetup, head: ChainHead): number =>
  Math.min(s.range.to ?? Number.MAX_SAFE_INTEGER, head.safe());

/** JSON-RPC calls of the source's thread and its workers. */
function rpcStats(s: BlockSourceSetup): { calls: number; retries: number } {
  return {
    calls: s.rpc.stats.calls + (s.pool?.rpcStats.calls ?? 0),
    retries: s.rpc.stats.retries + (s.pool?.rpcStats.retries ?? 0),
  };
}

/** Prepares a batch (fetch, normalize, encode) on a worker or on this thread, retrying retryable failures. */
function prepareRetrying(
  s: BlockSourceSetup,
  run: SourceRun,
  from: number,
  to: number,
  versionBase: number,
): Promise<PreparedBatch> {
  return fetchRetrying(run, { msg: 'batch fetch failed; retrying', from, to }, () =>
    s.pool
      ? s.pool.prepare(from, to, versionBase)
      : prepareRange({ fetcher: s.fetcher, encoders: s.encoders, from, to, versionBase, signal: s.signal }),
  );
}

/** The loop: wait for the head when the next block is beyond it, else ingest the next transaction. */
async function followChain(loop: BlockLoop): Promise<void> {
  const { s, run } = loop;
  for (;;) {
    if (s.signal.aborted) throw new SourceStoppedError(run.chain);
    if (!s.live && loop.next > s.range.to!) return;
    if (loop.next > targetBlock(s, loop.head)) {
      if (loop.queue.length > 0) throw new Error('bug: fetches in flight beyond the target');
      const reached = await headReaches(run, {
        rpc: s.rpc,
        head: loop.head,
        next: loop.next,
        target: () => targetBlock(s, loop.head),
        pollIntervalMs: s.ingest.pollIntervalMs,
        backfill: !s.live,
      });
      if (!reached) continue;
    }
    await ingestTransaction(loop);
  }
}

/** One Kafka transaction: take the ready batches, build their records (reorgs included), publish, checkpoint. */
async function ingestTransaction(loop: BlockLoop): Promise<void> {
  const { timings } = loop.run.meter;
  let t0 = performance.now();
  const batches = await takeReady(loop);
  let t1 = performance.now();
  timings.fetchWaitMs += t1 - t0;
  t0 = t1;
  const tx = await buildTransaction(loop, batches);
  t1 = performance.now();
  timings.buildMs += t1 - t0;
  t0 = t1;
  if (tx.items.length > 0) await publishRetrying(loop.run, loop.s.slot, (publisher) => publisher.publishEncoded(tx.items));
  timings.publishMs += performance.now() - t0;
  loop.publishedVersion = tx.lastVersion;
  await checkpointBatch(loop.run, { state: loop.s.state, head: loop.head, hooks: loop.s.options }, tx);
  loop.window = tx.window;
  loop.next = tx.lastTo + 1;
}

/** The next batch in block order, then every later one already prepared, up to maxTxBlocks: one transaction. */
async function takeReady(loop: BlockLoop): Promise<VersionedBatch[]> {
  const { queue } = loop;
  queue.fill();
  const first = queue.shift()!;
  const taken = [await first.promise];
  let blocks = first.to - first.from + 1;
  for (;;) {
    queue.fill();
    const ready = queue.peek();
    if (!ready?.settled || blocks + ready.to - ready.from + 1 > loop.maxTxBlocks) return taken;
    queue.shift();
    taken.push(await ready.promise);
    blocks += ready.to - ready.from + 1;
  }
}

/** The records of one transaction, and what its checkpoint records. */
interface Transaction extends CommittedBatch {
  items: EncodedBlockRecords[];
}

/** Each batch either extends the window as prepared (the common case) or is checked block by block (reorgs). */
async function buildTransaction(loop: BlockLoop, batches: readonly VersionedBatch[]): Promise<Transaction> {
  const work = loop.window.clone();
  const tx: Transaction = {
    items: [],
    lastTo: batches.at(-1)!.batch.to,
    tip: undefined,
    window: work,
    lastVersion: loop.publishedVersion,
    blocks: 0,
    logs: 0,
    transactions: 0,
    retracted: 0,
  };
  for (const { batch, lastVersion } of batches) {
    const maxVersion = (await extendsWindow(loop, batch, work)) ? addPrepared(tx, batch) : await addChecked(loop, tx, batch);
    tx.lastVersion = Math.max(tx.lastVersion, maxVersion ?? lastVersion);
    tx.blocks += batch.blocks.length;
  }
  const tip = work.latest();
  if (tip) work.pruneBelow(tip.number - loop.keep);
  tx.tip = tip;
  return tx;
}

/** Every block of the batch extends the window (checked on a copy): its prepared records can be published as they are. */
async function extendsWindow(loop: BlockLoop, batch: PreparedBatch, work: RecentWindow): Promise<boolean> {
  const attempt = work.clone();
  for (const block of batch.blocks) {
    const check = await detectReorg({
      chain: loop.run.chain,
      store: attempt,
      block: block.ref,
      getCanonicalBlock: () => Promise.reject(new NotLinearError()),
    }).catch((error: unknown) => (error instanceof NotLinearError ? undefined : Promise.reject(error)));
    if (check?.type !== 'extends') return false;
    attempt.put(block.ref);
  }
  return true;
}

/** The prepared records as they are; the batch's reserved versions are published (returns undefined). */
function addPrepared(tx: Transaction, batch: PreparedBatch): undefined {
  for (const block of batch.blocks) {
    tx.window.put(block.ref);
    tx.items.push(block.encoded);
    tx.logs += block.logs;
    tx.transactions += block.transactions;
  }
  return undefined;
}

/**
 * A batch that does not simply extend the window (a known block, a fork): fetched again here and checked block by
 * block; orphaned blocks are retracted, the canonical branch published. Returns the highest version given here.
 */
async function addChecked(loop: BlockLoop, tx: Transaction, batch: PreparedBatch): Promise<number | undefined> {
  const { s } = loop;
  const work = tx.window;
  const bundles = await s.fetcher.fetchRange(batch.from, batch.to, { signal: s.signal });
  const observedAt = Date.now();
  let maxVersion: number | undefined;
  for (const bundle of bundles) {
    const check = await detectReorg<Fetched>({
      chain: loop.run.chain,
      store: work,
      block: refOf(bundle),
      getCanonicalBlock: async (n) => refOf((await s.fetcher.fetchBundles([n], { signal: s.signal }))[0]!),
    });
    if (check.type === 'known') continue;
    if (check.type === 'reorg') maxVersion = retractOrphans(loop, tx, check, observedAt) ?? maxVersion;
    for (const c of check.type === 'reorg' ? check.canonical : [check.block]) {
      maxVersion = loop.versions.reserve(1);
      tx.items.push(s.slot.current.encode(toBlockRecords(c.bundle, maxVersion, observedAt)));
      work.put({ number: c.number, hash: c.hash, parentHash: c.parentHash, timestampMs: c.bundle.block.timestampMs });
      tx.logs += c.bundle.logs.length;
      tx.transactions += c.bundle.transactions.length;
    }
  }
  return maxVersion;
}

/** A reorg: retraction records for the orphaned blocks, removed from the window. Returns the last version given. */
function retractOrphans(
  loop: BlockLoop,
  tx: Transaction,
  check: Extract<ReorgCheck<Fetched>, { type: 'reorg' }>,
  observedAt: number,
): number | undefined {
  const { s } = loop;
  let version: number | undefined;
  for (const orphan of check.orphaned) {
    const stored = tx.window.get(orphan.number)!;
    version = loop.versions.reserve(1);
    tx.items.push(s.slot.current.encode(toRetractionRecords(s.chain.chainId, stored, version, observedAt)));
    tx.retracted += 1;
  }
  s.logger.warn({
    msg: 'reorg: retracting orphaned blocks, re-ingesting the canonical branch',
    common_ancestor: check.commonAncestor.number,
    orphaned: check.orphaned.map((o) => o.number),
    canonical: check.canonical.map((c) => c.number),
  });
  tx.window.deleteFrom(check.commonAncestor.number + 1);
  return version;
}

function summarize(loop: BlockLoop & { resumedFrom: number | null }): RunSummary {
  const { s, run } = loop;
  run.meter.report();
  const stats = rpcStats(s);
  const summary: RunSummary = {
    ...run.meter.summary(publisherTimings([s.slot])),
    mode: s.live ? 'live' : 'backfill',
    resumedFrom: loop.resumedFrom,
    strategy: s.fetcher.strategy,
    rpcCalls: stats.calls,
    rpcRetries: stats.retries,
  };
  s.logger.info({ msg: s.live ? 'live ingestion stopped' : 'backfill done', ...summary });
  return summary;
}

interface Fetched extends BlockRef {
  bundle: BlockBundle;
}

const refOf = (bundle: BlockBundle): Fetched => ({
  number: bundle.block.number,
  hash: bundle.block.hash,
  parentHash: bundle.block.parentHash,
  bundle,
});

/** Raised inside the fast path when reorg detection would walk back: the batch takes the careful path. */
class NotLinearError extends Error {
  override readonly name = 'NotLinearError';
}
