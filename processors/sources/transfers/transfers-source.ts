/**
 * The transfers-only backfill (`oracul backfill --from … --to … --transfers-only`): Transfer logs by eth_getLogs
 * over adaptive block ranges plus batched headers, instead of whole blocks with transactions and receipts.
 * It publishes through the block source's publisher and records (one Kafka transaction per range, in block
 * order) and resumes like it (LMDB checkpoint per stream `transfers-<from>-<to>`, committed tail of
 * eth.blocks.raw), so the decoder, marts and anomalies see the same eth.logs.raw records as from a full run.
 */
import type { Kafka } from 'kafkajs';
import type { OraculConfig } from '../../../config/schema.ts';
import type { Common } from '../../../core/common.ts';
import { createKafka } from '../../../core/kafka/client.ts';
import { componentLogger, type Logger } from '../../../core/logger.ts';
import type { Serdes } from '../../../schemas/index.ts';
import type { ChainCapabilities } from '../capabilities/detect-capabilities.ts';
import { SourceStoppedError } from '../loop/errors.ts';
import { createRangeQueue, type InFlightRange, type RangeQueue } from '../loop/range-queue.ts';
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
} from '../loop/source-run.ts';
import { ChainDataMismatchError } from '../normalize/mismatch-error.ts';
import { createBlockPublisher } from '../publish/publisher.ts';
import type { BlockRecords } from '../publish/to-avro.ts';
import type { RpcClient } from '../rpc/rpc-client.ts';
import type { RecentWindow } from '../checkpoint/recent-window.ts';
import { openSourceState, type SourceCheckpoint, type SourceState } from '../checkpoint/source-state.ts';
import { createTransfersFetcher, type TransfersFetcher } from './fetch-transfers.ts';
import type { TransferBlock } from './normalize-transfers.ts';
import { createRangeSizer, type RangeSizer, type RangeSizerOptions } from './range-sizer.ts';
import { isTransfersOnlyRecord, toTransferBlockRecords } from './to-records.ts';

export interface TransfersBackfillOptions {
  serdes: Serdes;
  /** Chain name in config.chains; default the first one. */
  chain?: string;
  /** Overrides config.chains[].rpcUrls (tests, benches). */
  rpcUrls?: string[];
  /** Overrides config.ingest (concurrency, rpc tuning…); batchSize is not used: ranges are adaptive. */
  ingest?: Partial<OraculConfig['ingest']>;
  /** eth_getLogs range sizing (initial and max blocks per call, target logs per answer). */
  range?: RangeSizerOptions;
  /** LMDB dir; default the block source's. */
  stateDir?: string;
  /**
   * Ranges already fetched are published together, one Kafka transaction per group (commits are sequential,
   * so one per small range would bound the rate), up to this many blocks or logs. Default 2 000 / 50 000.
   */
  transactionMaxBlocks?: number;
  transactionMaxLogs?: number;
  /**
   * Kafka transactions in flight, each on its own transactional producer (`…-transfers-<from>-<to>`, then `-1`,
   * `-2`…): kafkajs allows one request in flight per idempotent producer, so one producer leaves the broker round
   * trips unused. Checkpoints still advance in block order. Default 1: measured on the shared 2-core box, 2 were
   * slower (the broker, not the round trip, was the limit). Keep it fixed for a range (a killed run's open
   * transactions are fenced by the same ids). With more than 1, a crash can leave a later group committed after
   * an uncommitted one; that group is published again on resume (a duplicate with a higher version, which the
   * tables and the decoder absorb).
   */
  publishers?: number;
  kafka?: Kafka;
  /** Called after every committed range (CLI progress bar). */
  onProgress?: (progress: SourceProgress) => void;
  /** Test hook: after a range's Kafka transaction committed, before its LMDB checkpoint. */
  afterPublish?: (lastBlock: number) => void | Promise<void>;
  /** Test hook: after a range's checkpoint. */
  afterCommit?: (checkpoint: SourceCheckpoint) => void | Promise<void>;
}

export interface TransfersSummary extends SourceProgress {
  mode: 'transfers-only';
  stream: string;
  resumedFrom: number | null;
  /** Blocks adopted from the committed tail at startup (published before a crash, not checkpointed). */
  adopted: number;
  /** Kafka transactions committed (each holds one or more ranges). */
  kafkaTransactions: number;
  rangeSplits: number;
  /** Blocks per eth_getLogs call at the end of the run. */
  rangeSize: number;
  timings: SourceTimings;
  blocksPerS: number;
  logsPerS: number;
}

/** LMDB stream (and Kafka transactional id suffix) of a transfers-only range: separate from a full backfill's. */
export const transfersStream = (from: number, to: number): string => `transfers-${from}-${to}`;

export async function runTransfersBackfill(
  common: Common,
  options: TransfersBackfillOptions,
  range: { from: number; to: number; signal?: AbortSignal },
): Promise<TransfersSummary> {
  const { config } = common;
  const chain = resolveChain(config, options.chain);
  if (!Number.isSafeInteger(range.from) || !Number.isSafeInteger(range.to) || range.from < 0 || range.to < range.from)
    throw new RangeError(`invalid block range ${range.from}..${range.to}`);
  const ingest = { ...config.ingest, ...options.ingest };
  const stream = transfersStream(range.from, range.to);
  const logger: Logger = componentLogger(common.logger, 'transfers-source', { chain: chain.name, stream });
  const signal = stopSignal(range.signal ?? common.shutdown.signal, ingest.concurrency);
  const { rpc, caps } = await connectChain({ chain, urls: options.rpcUrls, ingest, logger });
  const sizer = createRangeSizer(options.range);
  const fetcher = createTransfersFetcher({ rpc, chainId: chain.chainId, sizer, logger });
  const kafka = options.kafka ?? createKafka({ config, logger: common.logger, clientSuffix: `source-${chain.name}` });
  const state = openSourceState({ dir: sourceStateDir(config, options.stateDir), chainId: chain.chainId, stream });
  const transactionalId = `${config.kafka.clientId}-source-${chain.name}-${stream}`;
  const slots: PublisherSlot[] = [];
  try {
    // Connecting every producer first fences a killed run's open transactions before the tail is read.
    for (let n = 0; n < Math.max(1, options.publishers ?? 1); n += 1) {
      const id = n === 0 ? transactionalId : `${transactionalId}-${n}`;
      slots.push(
        await openPublisherSlot(() =>
          createBlockPublisher({ kafka, serdes: options.serdes, transactionalId: id, logger, compression: ingest.compression }),
        ),
      );
    }
    return await backfillTransfers({
      chain,
      ingest,
      stream,
      logger,
      signal,
      rpc,
      caps,
      sizer,
      fetcher,
      kafka,
      state,
      slots,
      options,
      range,
    });
  } finally {
    await Promise.all(slots.map((slot) => slot.current.close().catch(() => undefined)));
    await state.close();
  }
}

/** What a run is given: its chain, endpoints, fetcher, producers, LMDB state, options and range. */
interface TransfersSetup {
  readonly chain: ChainConfig;
  readonly ingest: IngestConfig;
  readonly stream: string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly rpc: RpcClient;
  readonly caps: ChainCapabilities;
  readonly sizer: RangeSizer;
  readonly fetcher: TransfersFetcher;
  readonly kafka: Kafka;
  readonly state: SourceState;
  /** One transactional producer per Kafka transaction in flight. */
  readonly slots: readonly PublisherSlot[];
  readonly options: TransfersBackfillOptions;
  readonly range: { readonly from: number; readonly to: number };
}

/** A group of ranges published in one Kafka transaction, checkpointed once it committed (groups settle in order). */
interface PendingGroup {
  batch: CommittedBatch;
  done: Promise<unknown>;
}

/** A run under way: its setup, and where the loop stands. */
interface TransfersLoop {
  readonly s: TransfersSetup;
  readonly run: SourceRun;
  readonly head: ChainHead;
  /** Hashes kept in the window below its tip. */
  readonly keep: number;
  readonly txMaxBlocks: number;
  readonly txMaxLogs: number;
  readonly versions: VersionClock;
  readonly queue: RangeQueue<TransferBlock[]>;
  readonly pending: PendingGroup[];
  readonly resumedFrom: number | null;
  readonly adopted: number;
  next: number;
  window: RecentWindow;
  nextSlot: number;
  kafkaTransactions: number;
}

/** Resume, then fetch and publish the range in block order; returns the run's summary. */
async function backfillTransfers(s: TransfersSetup): Promise<TransfersSummary> {
  const loop = await resume(s);
  logStart(loop);
  try {
    await followRange(loop);
  } catch (error) {
    rethrowUnlessStopped(loop.run, error, 'transfers-only backfill failed');
  } finally {
    loop.run.meter.stop();
    loop.queue.abandon();
    for (const group of loop.pending) group.done.catch(() => undefined);
  }
  return summarize(loop);
}

/** The checkpoint and what Kafka committed after it (as the block source): where this run starts, and its loop. */
async function resume(s: TransfersSetup): Promise<TransfersLoop> {
  const keep = s.chain.confirmations + s.ingest.reorgMargin;
  const txMaxBlocks = Math.max(1, s.options.transactionMaxBlocks ?? 2_000);
  const txMaxLogs = Math.max(1, s.options.transactionMaxLogs ?? 50_000);
  const resumed = await resumeFromTail({
    kafka: s.kafka,
    serdes: s.options.serdes,
    chainId: s.chain.chainId,
    state: s.state,
    range: s.range,
    // One transaction may hold a whole range (up to sizer.max blocks) or a group of ranges: read that much of the tail.
    perPartition: Math.max(s.sizer.max, txMaxBlocks) + keep,
    keep,
    logger: s.logger,
    // Adopt only transfers-only records: a full block in the tail is another stream's business.
    pick: (unseen) => new Map(unseen.filter(isTransfersOnlyRecord).map((r) => [r.block_number, r])),
  });
  const head = chainHead(s.caps.head, s.chain.confirmations);
  const { next, window } = startBlock(resumed, s.range.from, head.safe);
  const meter = createRunMeter({
    chain: s.chain.name,
    logger: s.logger,
    fromBlock: next,
    toBlock: () => s.range.to,
    head,
    progressIntervalS: s.ingest.progressIntervalS,
    rpcStats: () => s.rpc.stats,
    reportFields: () => ({ mode: 'transfers-only', range_size: s.sizer.size, range_splits: s.sizer.splits }),
  });
  const run: SourceRun = { chain: s.chain.name, logger: s.logger, signal: s.signal, meter };
  const queue = createRangeQueue<TransferBlock[]>({
    first: next,
    concurrency: s.ingest.concurrency,
    target: () => targetBlock(s, head),
    size: () => s.sizer.size,
    start: (from, to) => fetchRangeRetrying(s, run, from, to),
  });
  const versions = createVersionClock(resumed.lastVersion);
  const { resumedFrom, adopted } = resumed;
  return {
    s,
    run,
    head,
    keep,
    txMaxBlocks,
    txMaxLogs,
    versions,
    queue,
    pending: [],
    resumedFrom,
    adopted,
    next,
    window,
    nextSlot: 0,
    kafkaTransactions: 0,
  };
}

function logStart(loop: TransfersLoop): void {
  const { s } = loop;
  s.logger.info({
    msg: 'transfers-only backfill starting',
    from_block: loop.next,
    to_block: s.range.to,
    resumed: loop.resumedFrom !== null && loop.next === loop.resumedFrom,
    head: loop.head.current,
    confirmations: s.chain.confirmations,
    concurrency: s.ingest.concurrency,
    range_size: s.sizer.size,
    range_max: s.sizer.max,
    target_logs: s.sizer.targetLogs,
  });
}

/** The highest block that may be fetched now: the range's end, at most the safe head. */
const targetBlock = (s: TransfersSetup, head: ChainHead): number => Math.min(s.range.to, head.safe());

function fetchRangeRetrying(s: TransfersSetup, run: SourceRun, from: number, to: number): Promise<TransferBlock[]> {
  return fetchRetrying(run, { msg: 'range fetch failed; retrying', from, to }, () =>
    s.fetcher.fetchRange(from, to, { signal: s.signal }),
  );
}

/** The loop: wait for the head when the next block is beyond it, else publish the next group; then settle the rest. */
async function followRange(loop: TransfersLoop): Promise<void> {
  const { s, run } = loop;
  while (loop.next <= s.range.to) {
    if (s.signal.aborted) throw new SourceStoppedError(run.chain);
    if (loop.next > targetBlock(s, loop.head)) {
      const reached = await headReaches(run, {
        rpc: s.rpc,
        head: loop.head,
        next: loop.next,
        target: () => targetBlock(s, loop.head),
        pollIntervalMs: s.ingest.pollIntervalMs,
        backfill: true,
      });
      if (!reached) continue;
    }
    await ingestGroup(loop);
  }
  while (loop.pending.length > 0) await settle(loop, loop.pending.shift()!);
}

/** The next range, with the ranges already fetched that continue it: built, published, checkpointed in order. */
async function ingestGroup(loop: TransfersLoop): Promise<void> {
  const { queue, run } = loop;
  queue.fill();
  const first = queue.shift()!;
  queue.fill(); // keep `concurrency` ranges in flight while this one is published
  const t0 = performance.now();
  const fetched = await first.promise;
  run.meter.timings.fetchWaitMs += performance.now() - t0;
  const { lastTo, blocks } = joinReady(loop, first.to, await continuing(loop, first, fetched));
  const t1 = performance.now();
  const { items, batch } = buildGroup(loop, lastTo, blocks);
  run.meter.timings.buildMs += performance.now() - t1;
  await publishGroup(loop, items, batch);
}

/** Ranges are fetched apart: the first block must continue what was published before it (else fetched again). */
async function continuing(
  loop: TransfersLoop,
  range: InFlightRange<TransferBlock[]>,
  fetched: TransferBlock[],
): Promise<TransferBlock[]> {
  let blocks = fetched;
  for (let attempt = 0; ; attempt += 1) {
    const parent = loop.window.get(range.from - 1);
    const first = blocks[0]!.block;
    if (parent === undefined || parent.hash === first.parentHash) return blocks;
    const mismatch = new ChainDataMismatchError(
      first,
      `parent hash ${first.parentHash} is not the published block ${parent.number}'s ${parent.hash}`,
    );
    if (attempt >= 3) throw mismatch;
    loop.s.logger.warn({ msg: 'range does not continue the published chain; refetching', from_block: range.from, err: mismatch });
    blocks = await fetchRangeRetrying(loop.s, loop.run, range.from, range.to);
  }
}

/** Ranges fetched meanwhile that continue this one go into the same transaction, up to its block and log limits. */
function joinReady(loop: TransfersLoop, lastTo: number, blocks: TransferBlock[]): { lastTo: number; blocks: TransferBlock[] } {
  let logCount = countLogs(blocks);
  for (;;) {
    const ready = loop.queue.peek()?.result;
    if (ready === undefined || blocks.length + ready.length > loop.txMaxBlocks) break;
    const readyLogs = countLogs(ready);
    if (logCount + readyLogs > loop.txMaxLogs || ready[0]!.block.parentHash !== blocks.at(-1)!.block.hash) break;
    lastTo = loop.queue.shift()!.to;
    blocks = blocks.concat(ready);
    logCount += readyLogs;
    loop.queue.fill();
  }
  return { lastTo, blocks };
}

const countLogs = (blocks: readonly TransferBlock[]): number => blocks.reduce((n, b) => n + b.logs.length, 0);

/** The group's records, with their versions, and the window it leaves (for its checkpoint). */
function buildGroup(
  loop: TransfersLoop,
  lastTo: number,
  blocks: readonly TransferBlock[],
): { items: BlockRecords[]; batch: CommittedBatch } {
  const observedAt = Date.now();
  const items: BlockRecords[] = [];
  let logs = 0;
  for (const b of blocks) {
    items.push(toTransferBlockRecords(b, loop.versions.reserve(1), observedAt));
    loop.window.put({
      number: b.block.number,
      hash: b.block.hash,
      parentHash: b.block.parentHash,
      timestampMs: b.block.timestampMs,
    });
    logs += b.logs.length;
  }
  const tip = blocks.at(-1)!.block;
  loop.window.pruneBelow(tip.number - loop.keep);
  const window = loop.window.clone();
  return {
    items,
    batch: { lastTo, tip, window, lastVersion: loop.versions.last, blocks: blocks.length, logs, transactions: 0, retracted: 0 },
  };
}

/** Published on the next producer while earlier groups may still be in flight; checkpointed in order. */
async function publishGroup(loop: TransfersLoop, items: BlockRecords[], batch: CommittedBatch): Promise<void> {
  const { slots } = loop.s;
  const done = publishRetrying(loop.run, slots[loop.nextSlot]!, (publisher) => publisher.publish(items));
  done.catch(() => undefined); // settled in order below
  loop.nextSlot = (loop.nextSlot + 1) % slots.length;
  loop.pending.push({ batch, done });
  loop.next = batch.lastTo + 1;
  while (loop.pending.length >= slots.length) await settle(loop, loop.pending.shift()!);
}

/** Waits for a group's Kafka commit, then writes its checkpoint. */
async function settle(loop: TransfersLoop, group: PendingGroup): Promise<void> {
  const t0 = performance.now();
  await group.done;
  loop.run.meter.timings.publishMs += performance.now() - t0;
  loop.kafkaTransactions += 1;
  await checkpointBatch(loop.run, { state: loop.s.state, head: loop.head, hooks: loop.s.options }, group.batch);
}

function summarize(loop: TransfersLoop): TransfersSummary {
  const { s, run } = loop;
  run.meter.report();
  const summary: TransfersSummary = {
    ...run.meter.summary(publisherTimings(s.slots)),
    mode: 'transfers-only',
    stream: s.stream,
    resumedFrom: loop.resumedFrom,
    adopted: loop.adopted,
    kafkaTransactions: loop.kafkaTransactions,
    rangeSplits: s.sizer.splits,
    rangeSize: s.sizer.size,
  };
  s.logger.info({ msg: 'transfers-only backfill done', ...summary });
  return summary;
}
