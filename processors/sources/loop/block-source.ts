import { setMaxListeners } from 'node:events';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { REPO_ROOT } from '../../../config/index.ts';
import type { OraculConfig } from '../../../config/schema.ts';
import type { Common } from '../../../core/common.ts';
import { errorCode, isRetryable } from '../../../core/errors.ts';
import { createKafka } from '../../../core/kafka/client.ts';
import { metrics, observeSourceBatch, observeSourceHead } from '../../../core/metrics/index.ts';
import { componentLogger, type Logger } from '../../../core/logger.ts';
import type { Serdes } from '../../../schemas/index.ts';
import { detectCapabilities, type ChainCapabilities } from '../capabilities/detect-capabilities.ts';
import { createBlockFetcher, type BlockFetcher } from '../fetch/block-fetcher.ts';
import type { BlockBundle, Hex } from '../normalize/records.ts';
import { detectReorg } from '../reorg/detect-reorg.ts';
import { ingestRpcDefaults } from '../rpc/ingest-rpc-defaults.ts';
import { createRpcClient, type RpcClient } from '../rpc/rpc-client.ts';
import { openSourceState, type SourceCheckpoint, type SourceState } from '../state/source-state.ts';
import { createRecentWindow, type RecentWindow } from '../state/recent-window.ts';
import { createBlockPublisher, type BlockPublisher } from '../publish/publisher.ts';
import type { EncodedBlockRecords } from '../publish/encoded-block.ts';
import { toBlockRecords, toRetractionRecords } from '../publish/to-avro.ts';
import { createPreparePool, type PreparePool } from '../prepare/prepare-pool.ts';
import { prepareRange, type PreparedBatch } from '../prepare/prepare-range.ts';
import { adoptCommittedBlocks } from './adopt-committed.ts';
import { readCommittedTail } from './committed-tail.ts';
import { SourceStoppedError } from './errors.ts';

type ChainConfig = OraculConfig['chains'][number];

export interface SourceProgress {
  chain: string;
  /** First block of this run. */
  fromBlock: number;
  /** Last block of the range (backfill) or the current safe head (live). */
  toBlock: number;
  /** Last published block. */
  lastBlock: number;
  head: number;
  blocks: number;
  logs: number;
  transactions: number;
  retracted: number;
  errors: number;
  elapsedMs: number;
}

export interface RunSummary extends SourceProgress {
  mode: 'backfill' | 'live';
  /** Where the run started (a resume skips what earlier runs published). */
  resumedFrom: number | null;
  strategy: string;
  /** JSON-RPC calls made (the source's thread and its workers), and how many of them were retries. */
  rpcCalls: number;
  rpcRetries: number;
  /** Wall time of the loop by phase (ms). */
  timings: {
    fetchWaitMs: number;
    buildMs: number;
    publishMs: number;
    checkpointMs: number;
    serializeMs: number;
    sendMs: number;
    commitMs: number;
  };
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

interface Fetched extends BlockBundleRef {
  bundle: BlockBundle;
}
interface BlockBundleRef {
  number: number;
  hash: Hex;
  parentHash: Hex;
}

const refOf = (bundle: BlockBundle): Fetched => ({
  number: bundle.block.number,
  hash: bundle.block.hash,
  parentHash: bundle.block.parentHash,
  bundle,
});

/** Default LMDB dir of the block source. */
export function sourceStateDir(config: OraculConfig, override?: string): string {
  return resolve(REPO_ROOT, override ?? config.ingest.stateDir ?? join(config.stack.stateDir, 'source'));
}

/**
 * The block source of one chain: fetches blocks (batches fetched concurrently, published in order),
 * checks each against the recent-hash window (reorgs → retractions, then the canonical branch),
 * publishes a batch's records in one Kafka transaction, then checkpoints it in LMDB.
 * Backfill (`to` given) and live mode (`to` absent: follow head − confirmations) share this loop.
 */
export async function runBlockSource(common: Common, options: BlockSourceOptions, range: RunRange): Promise<RunSummary> {
  const { config } = common;
  const chain: ChainConfig | undefined = options.chain ? config.chains.find((c) => c.name === options.chain) : config.chains[0];
  if (!chain) throw new RangeError(`no chain ${options.chain ?? ''} in config.chains`);
  const ingest = { ...config.ingest, ...options.ingest };
  const logger: Logger = componentLogger(common.logger, 'block-source', { chain: chain.name });
  const live = range.to === undefined;
  const stream = live ? 'live' : `backfill-${range.from ?? 0}-${range.to}`;
  const signal = range.signal ?? common.shutdown.signal;
  // Every batch in flight waits on it (RPC calls, backoffs): more than Node's default of 10 listeners is expected.
  setMaxListeners(Math.max(64, 8 * ingest.concurrency), signal);
  const urls = options.rpcUrls ?? chain.rpcUrls;
  if (urls.length === 0) throw new RangeError(`chain ${chain.name}: no RPC endpoint (set ORACUL_RPC_URL or chains[].rpcUrls)`);

  const rpc: RpcClient = createRpcClient({
    chain: chain.name,
    endpoints: urls,
    defaults: ingestRpcDefaults(ingest),
    logger,
  });
  const caps: ChainCapabilities = await detectCapabilities({ rpc, chainId: chain.chainId, logger });
  const fetcher: BlockFetcher = createBlockFetcher({
    rpc,
    chainId: chain.chainId,
    strategy: caps.strategy,
    maxLogsRange: ingest.maxLogsRange,
    logger,
  });

  const kafka = options.kafka ?? createKafka({ config, logger: common.logger, clientSuffix: `source-${chain.name}` });
  const state: SourceState = openSourceState({ dir: sourceStateDir(config, options.stateDir), chainId: chain.chainId, stream });
  let publisher: BlockPublisher | undefined;
  const transactionalId = `${config.kafka.clientId}-source-${chain.name}-${stream}`;
  const keep = chain.confirmations + ingest.reorgMargin;
  /** Whole batches go into a transaction: at most this many blocks are committed but not yet checkpointed. */
  const maxTxBlocks = Math.max(ingest.batchSize, ingest.transactionMaxBlocks);
  let pool: PreparePool | undefined;

  try {
    publisher = await createBlockPublisher({
      kafka,
      serdes: options.serdes,
      transactionalId,
      logger,
      compression: ingest.compression,
    });

    const { encoders } = publisher;
    // Live mode follows the head a block at a time: its own thread keeps up, and no workers hold memory while idle.
    if (ingest.fetchWorkers > 0 && !live) {
      pool = createPreparePool({
        size: ingest.fetchWorkers,
        logger,
        init: {
          chain: chain.name,
          chainId: chain.chainId,
          endpoints: [...urls],
          rpc: ingestRpcDefaults(ingest),
          strategy: fetcher.strategy,
          maxLogsRange: ingest.maxLogsRange,
          schemaIds: {
            blocks: encoders.blocks.schemaId,
            transactions: encoders.transactions.schemaId,
            logs: encoders.logs.schemaId,
          },
          logLevel: logger.level,
        },
      });
    }

    // ---- where to start -------------------------------------------------------------------
    let checkpoint = state.checkpoint();
    let window: RecentWindow = state.recent();
    let lastVersion = checkpoint?.lastVersion ?? 0;
    const tail = await readCommittedTail({
      kafka,
      serdes: options.serdes,
      chainId: chain.chainId,
      perPartition: maxTxBlocks * 2 + keep,
      logger,
    });
    const inRange = (n: number) => (range.from === undefined || n >= range.from) && (range.to === undefined || n <= range.to);
    // Published and committed in Kafka but not checkpointed (killed between the two): adopt exactly
    // the blocks that continue this stream's checkpoint without a hole (or start its range), so
    // they are neither published twice nor skipped. Anything else in the tail (another stream, a
    // retraction) is left alone: the loop re-fetches from there.
    const unseen = tail.records.filter((r) => r.version > lastVersion && inRange(r.block_number));
    const retractedAt = Math.min(...unseen.filter((r) => r.kind === 'reorg').map((r) => r.block_number));
    const candidates = new Map<number, (typeof unseen)[number]>();
    // A transfers-only record (log_count null) is not this full stream's block: it is fetched again, in full.
    for (const r of unseen) {
      if (r.kind === 'block' && r.header && r.header.log_count !== null && r.block_number < retractedAt)
        candidates.set(r.block_number, r);
    }
    const adoption = adoptCommittedBlocks({
      candidates,
      tail: tail.records,
      expect: checkpoint ? checkpoint.blockNumber + 1 : range.from,
      window,
      lastVersion,
      state,
      keep,
      logger,
    });
    checkpoint = adoption.checkpoint ?? checkpoint;
    lastVersion = adoption.lastVersion;
    /**
     * Highest version in a committed transaction: what the checkpoint keeps. `lastVersion` runs ahead of it
     * (versions are reserved for batches in flight), and the tail read above must still see a batch
     * committed after the last checkpoint as unseen.
     */
    let publishedVersion = lastVersion;

    const head = async (): Promise<number> => Number(BigInt((await rpc.request('eth_blockNumber', [], { signal })) as string));
    let chainHead = caps.head;
    const safeHead = () => chainHead - chain.confirmations;

    let next: number;
    const resumedFrom = checkpoint ? checkpoint.blockNumber + 1 : null;
    if (checkpoint && (range.from === undefined || checkpoint.blockNumber + 1 >= range.from)) {
      next = checkpoint.blockNumber + 1;
    } else {
      next = range.from ?? safeHead();
      if (checkpoint) window = createRecentWindow(); // a gap after the checkpoint: its hashes cannot conflict
    }
    const fromBlock = next;
    logger.info({
      msg: live ? 'live ingestion starting' : 'backfill starting',
      from_block: next,
      to_block: range.to ?? null,
      resumed: resumedFrom !== null && next === resumedFrom,
      strategy: fetcher.strategy,
      head: chainHead,
      confirmations: chain.confirmations,
      batch_size: ingest.batchSize,
      concurrency: ingest.concurrency,
    });

    // ---- progress -------------------------------------------------------------------------
    const startedAt = performance.now();
    const totals = { blocks: 0, logs: 0, transactions: 0, retracted: 0, errors: 0 };
    /** Where the loop's wall time goes (ms): waiting for fetches, building records, Kafka, LMDB. */
    const timings = { fetchWaitMs: 0, buildMs: 0, publishMs: 0, checkpointMs: 0 };
    let lastBlock = next - 1;
    let lastReport = { at: startedAt, blocks: 0, logs: 0 };
    const progress = (): SourceProgress => ({
      chain: chain.name,
      fromBlock,
      toBlock: range.to ?? safeHead(),
      lastBlock,
      head: chainHead,
      ...totals,
      elapsedMs: performance.now() - startedAt,
    });
    const report = () => {
      const now = performance.now();
      const dt = (now - lastReport.at) / 1000;
      const p = progress();
      logger.info({
        msg: 'ingest progress',
        chain: chain.name,
        from_block: fromBlock,
        to_block: p.toBlock,
        last_block: lastBlock,
        blocks_per_s: dt > 0 ? Math.round((totals.blocks - lastReport.blocks) / dt) : 0,
        logs_per_s: dt > 0 ? Math.round((totals.logs - lastReport.logs) / dt) : 0,
        head: chainHead,
        lag_blocks: chainHead - lastBlock,
        errors: totals.errors,
        rpc_calls: rpc.stats.calls + (pool?.rpcStats.calls ?? 0),
        rpc_retries: rpc.stats.retries + (pool?.rpcStats.retries ?? 0),
      });
      lastReport = { at: now, blocks: totals.blocks, logs: totals.logs };
    };
    const progressTimer = setInterval(report, ingest.progressIntervalS * 1000);
    progressTimer.unref();

    // ---- fetch pipeline ----------------------------------------------------------------------
    /** Versions are reserved in block order when a batch is scheduled, so batches prepared apart stay ordered. */
    const reserveVersions = (count: number): number => {
      const base = Math.max(lastVersion + 1, Date.now() * 1000);
      lastVersion = base + count - 1;
      return base;
    };
    const nextVersion = () => reserveVersions(1);
    const prepare = (from: number, to: number, versionBase: number): Promise<PreparedBatch> =>
      pool ? pool.prepare(from, to, versionBase) : prepareRange({ fetcher, encoders, from, to, versionBase, signal });
    const fetchBatch = async (from: number, to: number, versionBase: number): Promise<PreparedBatch> => {
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await prepare(from, to, versionBase);
        } catch (error) {
          if (signal.aborted || !isRetryable(error) || attempt >= 8) throw error;
          totals.errors += 1;
          metrics.sourceErrors.inc({ chain: chain.name });
          const delay = Math.min(10_000, 250 * 2 ** attempt) * (1 + Math.random());
          logger.warn({ msg: 'batch fetch failed; retrying', from_block: from, to_block: to, attempt: attempt + 1, err: error });
          await sleep(delay, undefined, { signal });
        }
      }
    };
    interface InFlight {
      from: number;
      to: number;
      /** Version of its last block. */
      lastVersion: number;
      settled: boolean;
      promise: Promise<PreparedBatch>;
    }
    const inflight: InFlight[] = [];
    let scheduled = next;
    const target = () => Math.min(range.to ?? Number.MAX_SAFE_INTEGER, safeHead());
    const schedule = () => {
      while (inflight.length < ingest.concurrency && scheduled <= target()) {
        const from = scheduled;
        const to = Math.min(from + ingest.batchSize - 1, target());
        const versionBase = reserveVersions(to - from + 1);
        const entry: InFlight = {
          from,
          to,
          lastVersion: versionBase + to - from,
          settled: false,
          promise: fetchBatch(from, to, versionBase),
        };
        entry.promise.then(
          () => (entry.settled = true),
          () => (entry.settled = true), // awaited in order below
        );
        inflight.push(entry);
        scheduled = to + 1;
      }
    };
    /** The next batch in block order, then every later one already prepared, up to maxTxBlocks: one transaction. */
    const takeReady = async (): Promise<{ batch: PreparedBatch; lastVersion: number }[]> => {
      schedule();
      const first = inflight.shift()!;
      const taken = [{ batch: await first.promise, lastVersion: first.lastVersion }];
      let blocks = first.to - first.from + 1;
      for (;;) {
        schedule();
        const head = inflight[0];
        if (!head?.settled || blocks + head.to - head.from + 1 > maxTxBlocks) return taken;
        inflight.shift();
        taken.push({ batch: await head.promise, lastVersion: head.lastVersion });
        blocks += head.to - head.from + 1;
      }
    };

    const publish = async (items: EncodedBlockRecords[]) => {
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await publisher!.publishEncoded(items);
        } catch (error) {
          if (signal.aborted || attempt >= 8) throw error;
          totals.errors += 1;
          metrics.sourceErrors.inc({ chain: chain.name });
          logger.warn({ msg: 'publish failed; retrying with a new producer', attempt: attempt + 1, err: error });
          await publisher!.close().catch(() => undefined);
          await sleep(Math.min(10_000, 500 * 2 ** attempt), undefined, { signal });
          publisher = await createBlockPublisher({
            kafka,
            serdes: options.serdes,
            transactionalId,
            logger,
            compression: ingest.compression,
          });
        }
      }
    };

    /** Counts of what a batch adds to the transaction. */
    interface Built {
      items: EncodedBlockRecords[];
      logs: number;
      txs: number;
      retracted: number;
      /** Highest version given here (the careful path); the linear path publishes the batch's reserved ones. */
      maxVersion?: number;
    }
    /**
     * The common case: every block of the batch extends the window. Its prepared records are published
     * as they are; anything else (a known block, a fork) returns undefined and takes the careful path.
     */
    const linear = async (batch: PreparedBatch, work: RecentWindow): Promise<Built | undefined> => {
      const attempt = work.clone();
      const built: Built = { items: [], logs: 0, txs: 0, retracted: 0 };
      for (const block of batch.blocks) {
        const check = await detectReorg({
          chain: chain.name,
          store: attempt,
          block: block.ref,
          getCanonicalBlock: () => Promise.reject(new NotLinearError()),
        }).catch((error: unknown) => (error instanceof NotLinearError ? undefined : Promise.reject(error)));
        if (check?.type !== 'extends') return undefined;
        attempt.put(block.ref);
        built.items.push(block.encoded);
        built.logs += block.logs;
        built.txs += block.transactions;
      }
      for (const block of batch.blocks) work.put(block.ref);
      return built;
    };
    /** A batch that does not simply extend the window: fetched again here and checked block by block (reorgs). */
    const careful = async (batch: PreparedBatch, work: RecentWindow): Promise<Built> => {
      const bundles = await fetcher.fetchRange(batch.from, batch.to, { signal });
      const built: Built = { items: [], logs: 0, txs: 0, retracted: 0 };
      const observedAt = Date.now();
      for (const bundle of bundles) {
        const check = await detectReorg<Fetched>({
          chain: chain.name,
          store: work,
          block: refOf(bundle),
          getCanonicalBlock: async (n) => refOf((await fetcher.fetchBundles([n], { signal }))[0]!),
        });
        if (check.type === 'known') continue;
        let canonical: Fetched[];
        if (check.type === 'reorg') {
          for (const orphan of check.orphaned) {
            const stored = work.get(orphan.number)!;
            built.maxVersion = nextVersion();
            built.items.push(publisher!.encode(toRetractionRecords(chain.chainId, stored, built.maxVersion, observedAt)));
            built.retracted += 1;
          }
          logger.warn({
            msg: 'reorg: retracting orphaned blocks, re-ingesting the canonical branch',
            common_ancestor: check.commonAncestor.number,
            orphaned: check.orphaned.map((o) => o.number),
            canonical: check.canonical.map((c) => c.number),
          });
          work.deleteFrom(check.commonAncestor.number + 1);
          canonical = check.canonical;
        } else {
          canonical = [check.block];
        }
        for (const c of canonical) {
          built.maxVersion = nextVersion();
          built.items.push(publisher!.encode(toBlockRecords(c.bundle, built.maxVersion, observedAt)));
          work.put({ number: c.number, hash: c.hash, parentHash: c.parentHash, timestampMs: c.bundle.block.timestampMs });
          built.logs += c.bundle.logs.length;
          built.txs += c.bundle.transactions.length;
        }
      }
      return built;
    };

    try {
      for (;;) {
        if (signal.aborted) throw new SourceStoppedError(chain.name);
        if (!live && next > range.to!) break;
        if (next > target()) {
          if (inflight.length > 0) throw new Error('bug: fetches in flight beyond the target');
          chainHead = await head();
          observeSourceHead(chain.name, chainHead, lastBlock);
          if (next > target()) {
            if (!live && safeHead() < next) {
              logger.info({ msg: 'waiting for the chain to reach the backfill range', next, safe_head: safeHead() });
            }
            await sleep(ingest.pollIntervalMs, undefined, { signal });
            continue;
          }
        }
        let t0 = performance.now();
        const batches = await takeReady();
        let t1 = performance.now();
        timings.fetchWaitMs += t1 - t0;
        t0 = t1;

        const work = window.clone();
        const items: EncodedBlockRecords[] = [];
        let logs = 0;
        let txs = 0;
        let retracted = 0;
        let fetched = 0;
        let txVersion = publishedVersion;
        for (const { batch, lastVersion: batchVersion } of batches) {
          const built = (await linear(batch, work)) ?? (await careful(batch, work));
          txVersion = Math.max(txVersion, built.maxVersion ?? batchVersion);
          items.push(...built.items);
          logs += built.logs;
          txs += built.txs;
          retracted += built.retracted;
          fetched += batch.blocks.length;
        }
        const lastTo = batches.at(-1)!.batch.to;
        const tip = work.latest();
        if (tip) work.pruneBelow(tip.number - keep);
        t1 = performance.now();
        timings.buildMs += t1 - t0;
        t0 = t1;
        if (items.length > 0) await publish(items);
        t1 = performance.now();
        timings.publishMs += t1 - t0;
        t0 = t1;
        await options.afterPublish?.(lastTo);
        // Kafka committed: now the checkpoint (a crash in between is repaired by the tail read).
        publishedVersion = txVersion;
        const newCheckpoint: SourceCheckpoint = {
          blockNumber: lastTo,
          blockHash: tip?.hash ?? '',
          lastVersion: publishedVersion,
          updatedAtMs: Date.now(),
        };
        state.commit(newCheckpoint, work);
        timings.checkpointMs += performance.now() - t0;
        window = work;
        next = lastTo + 1;
        lastBlock = lastTo;
        totals.blocks += fetched;
        totals.logs += logs;
        totals.transactions += txs;
        totals.retracted += retracted;
        observeSourceBatch(chain.name, {
          head: chainHead,
          lastBlock,
          tipTimestampMs: tip?.timestampMs,
          blocks: fetched,
          logs,
          transactions: txs,
          retracted,
        });
        options.onProgress?.(progress());
        await options.afterCommit?.(newCheckpoint);
      }
    } catch (error) {
      if (!(error instanceof SourceStoppedError) && !signal.aborted) {
        totals.errors += 1;
        metrics.sourceErrors.inc({ chain: chain.name });
        logger.error({ msg: 'block source failed', err: error, code: errorCode(error), last_block: lastBlock });
        throw error;
      }
    } finally {
      clearInterval(progressTimer);
      for (const f of inflight) f.promise.catch(() => undefined);
    }

    report();
    const p = progress();
    const seconds = p.elapsedMs / 1000;
    const summary: RunSummary = {
      ...p,
      mode: live ? 'live' : 'backfill',
      resumedFrom,
      strategy: fetcher.strategy,
      rpcCalls: rpc.stats.calls + (pool?.rpcStats.calls ?? 0),
      rpcRetries: rpc.stats.retries + (pool?.rpcStats.retries ?? 0),
      blocksPerS: seconds > 0 ? p.blocks / seconds : 0,
      logsPerS: seconds > 0 ? p.logs / seconds : 0,
      timings: Object.fromEntries(
        Object.entries({ ...timings, ...publisher.timings }).map(([k, v]) => [k, Math.round(v)]),
      ) as RunSummary['timings'],
    };
    logger.info({ msg: live ? 'live ingestion stopped' : 'backfill done', ...summary });
    return summary;
  } finally {
    await pool?.close().catch(() => undefined);
    await publisher?.close().catch(() => undefined);
    await state.close();
  }
}

/** Raised inside the fast path when reorg detection would walk back: the batch takes the careful path. */
class NotLinearError extends Error {
  override readonly name = 'NotLinearError';
}
