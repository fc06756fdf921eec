/**
 * The steps both block sources run, in the same way: the full block source (`block-source.ts`) and the
 * transfers-only backfill (`../transfers/transfers-source.ts`). Resolve the chain and connect to its endpoints,
 * resume from the LMDB checkpoint and the committed Kafka tail, follow the head, retry fetches and publishes
 * (through core/retry.ts), checkpoint a committed transaction, and meter the run (progress log, summary).
 */
import { setMaxListeners } from 'node:events';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { REPO_ROOT } from '../../../config/index.ts';
import type { OraculConfig } from '../../../config/schema.ts';
import { errorCode, isRetryable } from '../../../core/errors.ts';
import type { Logger } from '../../../core/logger.ts';
import { metrics, observeSourceBatch, observeSourceHead } from '../../../core/metrics/index.ts';
import { withRetry } from '../../../core/retry.ts';
import type { BlockRecord, Serdes } from '../../../schemas/index.ts';
import { detectCapabilities, type ChainCapabilities } from '../capabilities/detect-capabilities.ts';
import type { BlockPublisher } from '../publish/publisher.ts';
import { ingestRpcDefaults } from '../rpc/ingest-rpc-defaults.ts';
import { createRpcClient, type RpcClient } from '../rpc/rpc-client.ts';
import { createRecentWindow, type RecentBlock, type RecentWindow } from '../checkpoint/recent-window.ts';
import type { SourceCheckpoint, SourceState } from '../checkpoint/source-state.ts';
import { adoptCommittedBlocks } from './adopt-committed.ts';
import { readCommittedTail } from './committed-tail.ts';
import { SourceStoppedError } from './errors.ts';

export type ChainConfig = OraculConfig['chains'][number];
export type IngestConfig = OraculConfig['ingest'];

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

/** Wall time of a source's loop by phase (ms): waiting for fetches, building records, Kafka, LMDB. */
export interface SourceTimings {
  fetchWaitMs: number;
  buildMs: number;
  publishMs: number;
  checkpointMs: number;
  serializeMs: number;
  sendMs: number;
  commitMs: number;
}

/** Default LMDB dir of the block source. */
export function sourceStateDir(config: OraculConfig, override?: string): string {
  return resolve(REPO_ROOT, override ?? config.ingest.stateDir ?? join(config.stack.stateDir, 'source'));
}

/** Block `n` lies in `[from, to]`; an absent bound is open. */
export function inBlockRange(n: number, range: { readonly from?: number; readonly to?: number }): boolean {
  return (range.from === undefined || n >= range.from) && (range.to === undefined || n <= range.to);
}

// ---- chain and endpoints -------------------------------------------------------------------------

/**
 * The run's stop signal. Every range in flight waits on it (RPC calls, retries, backoffs): more than Node's
 * default of 10 listeners is expected.
 */
export function stopSignal(signal: AbortSignal, concurrency: number): AbortSignal {
  setMaxListeners(Math.max(64, 8 * concurrency), signal);
  return signal;
}

/** The chain named `name` in config.chains, or the first one. */
export function resolveChain(config: OraculConfig, name: string | undefined): ChainConfig {
  const chain = name ? config.chains.find((c) => c.name === name) : config.chains[0];
  if (!chain) throw new RangeError(`no chain ${name ?? ''} in config.chains`);
  return chain;
}

/** The RPC client over the chain's endpoints (or `urls`), and what they support. */
export async function connectChain(p: {
  chain: ChainConfig;
  urls: readonly string[] | undefined;
  ingest: IngestConfig;
  logger: Logger;
}): Promise<{ rpc: RpcClient; caps: ChainCapabilities; urls: readonly string[] }> {
  const urls = p.urls ?? p.chain.rpcUrls;
  if (urls.length === 0) throw new RangeError(`chain ${p.chain.name}: no RPC endpoint (set ORACUL_RPC_URL or chains[].rpcUrls)`);
  const rpc = createRpcClient({ chain: p.chain.name, endpoints: urls, defaults: ingestRpcDefaults(p.ingest), logger: p.logger });
  const caps = await detectCapabilities({ rpc, chainId: p.chain.chainId, logger: p.logger });
  return { rpc, caps, urls };
}

/** The chain's head as last polled, and the highest block with enough confirmations. */
export interface ChainHead {
  current: number;
  safe(): number;
}

export function chainHead(initial: number, confirmations: number): ChainHead {
  const head: ChainHead = { current: initial, safe: () => head.current - confirmations };
  return head;
}

/**
 * Called when the next block is beyond what may be fetched yet: polls the head once; if the next block is still
 * beyond `target()`, waits a poll interval and returns false (the caller's loop comes back).
 */
export async function headReaches(
  run: SourceRun,
  p: { rpc: RpcClient; head: ChainHead; next: number; target: () => number; pollIntervalMs: number; backfill: boolean },
): Promise<boolean> {
  p.head.current = Number(BigInt((await p.rpc.request('eth_blockNumber', [], { signal: run.signal })) as string));
  observeSourceHead(run.chain, p.head.current, run.meter.lastBlock);
  if (p.next <= p.target()) return true;
  if (p.backfill && p.head.safe() < p.next) {
    run.logger.info({ msg: 'waiting for the chain to reach the backfill range', next: p.next, safe_head: p.head.safe() });
  }
  await sleep(p.pollIntervalMs, undefined, { signal: run.signal });
  return false;
}

// ---- where to start ------------------------------------------------------------------------------

export interface ResumePoint {
  /** The stream's checkpoint, after adopting what Kafka committed beyond it. */
  checkpoint: SourceCheckpoint | undefined;
  window: RecentWindow;
  /** The version floor: above every record of the committed tail. */
  lastVersion: number;
  adopted: number;
  /** The block after the checkpoint (null: no checkpoint). */
  resumedFrom: number | null;
}

/**
 * Published and committed in Kafka but not checkpointed (killed between the two): adopts exactly the blocks that
 * continue this stream's checkpoint without a hole (or start its range), so they are neither published twice nor
 * skipped. `pick` chooses this stream's candidates among the tail's records after the checkpoint and in the range;
 * anything else in the tail (another stream, a retraction) is left alone: the loop fetches again from there.
 */
export async function resumeFromTail(p: {
  kafka: Kafka;
  serdes: Serdes;
  chainId: number;
  state: SourceState;
  range: { readonly from?: number; readonly to?: number };
  /** Records read per partition: at least one transaction's blocks beyond the checkpoint, plus `keep`. */
  perPartition: number;
  keep: number;
  logger: Logger;
  pick: (unseen: readonly BlockRecord[]) => ReadonlyMap<number, BlockRecord>;
}): Promise<ResumePoint> {
  const stored = p.state.checkpoint();
  const window = p.state.recent();
  const storedVersion = stored?.lastVersion ?? 0;
  const tail = await readCommittedTail({
    kafka: p.kafka,
    serdes: p.serdes,
    chainId: p.chainId,
    perPartition: p.perPartition,
    logger: p.logger,
  });
  const unseen = tail.records.filter((r) => r.version > storedVersion && inBlockRange(r.block_number, p.range));
  const adoption = adoptCommittedBlocks({
    candidates: p.pick(unseen),
    tail: tail.records,
    expect: stored ? stored.blockNumber + 1 : p.range.from,
    window,
    lastVersion: storedVersion,
    state: p.state,
    keep: p.keep,
    logger: p.logger,
  });
  const checkpoint = adoption.checkpoint ?? stored;
  return {
    checkpoint,
    window,
    lastVersion: adoption.lastVersion,
    adopted: adoption.adopted,
    resumedFrom: checkpoint ? checkpoint.blockNumber + 1 : null,
  };
}

/**
 * The first block to fetch: the one after the checkpoint when it is inside the range, else the range's start
 * (`fallback` when the range has none). A gap after the checkpoint starts an empty window: its hashes cannot conflict.
 */
export function startBlock(
  resume: ResumePoint,
  from: number | undefined,
  fallback: () => number,
): { next: number; window: RecentWindow } {
  const { resumedFrom, window } = resume;
  if (resumedFrom !== null && (from === undefined || resumedFrom >= from)) return { next: resumedFrom, window };
  return { next: from ?? fallback(), window: resumedFrom === null ? window : createRecentWindow() };
}

// ---- one run: its context, meter and failure -------------------------------------------------------

/** What every step of a run needs: its chain, logger, stop signal and meter. */
export interface SourceRun {
  readonly chain: string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly meter: RunMeter;
}

export interface RunMeter {
  readonly totals: { blocks: number; logs: number; transactions: number; retracted: number; errors: number };
  readonly timings: Pick<SourceTimings, 'fetchWaitMs' | 'buildMs' | 'publishMs' | 'checkpointMs'>;
  /** Last published block. */
  lastBlock: number;
  progress(): SourceProgress;
  /** Logs `ingest progress` (also every `progressIntervalS` until stop()). */
  report(): void;
  stop(): void;
  /** A failed attempt or a failed run: counted in the totals and in the metrics. */
  countError(): void;
  /** Progress with rates and phase timings, rounded: the common part of a run's summary. */
  summary(publisherTimings: Pick<SourceTimings, 'serializeMs' | 'sendMs' | 'commitMs'>): SourceProgress & {
    blocksPerS: number;
    logsPerS: number;
    timings: SourceTimings;
  };
}

export function createRunMeter(p: {
  chain: string;
  logger: Logger;
  fromBlock: number;
  toBlock: () => number;
  head: ChainHead;
  progressIntervalS: number;
  rpcStats: () => { calls: number; retries: number };
  /** More fields of the progress log line. */
  reportFields?: () => Record<string, unknown>;
}): RunMeter {
  const startedAt = performance.now();
  let lastReport = { at: startedAt, blocks: 0, logs: 0 };
  const perSecond = (count: number, seconds: number) => (seconds > 0 ? count / seconds : 0);
  const meter: RunMeter = {
    totals: { blocks: 0, logs: 0, transactions: 0, retracted: 0, errors: 0 },
    timings: { fetchWaitMs: 0, buildMs: 0, publishMs: 0, checkpointMs: 0 },
    lastBlock: p.fromBlock - 1,
    progress: () => ({
      chain: p.chain,
      fromBlock: p.fromBlock,
      toBlock: p.toBlock(),
      lastBlock: meter.lastBlock,
      head: p.head.current,
      ...meter.totals,
      elapsedMs: performance.now() - startedAt,
    }),
    report() {
      const now = performance.now();
      const dt = (now - lastReport.at) / 1000;
      const { totals } = meter;
      const rpc = p.rpcStats();
      p.logger.info({
        msg: 'ingest progress',
        chain: p.chain,
        from_block: p.fromBlock,
        to_block: p.toBlock(),
        last_block: meter.lastBlock,
        blocks_per_s: Math.round(perSecond(totals.blocks - lastReport.blocks, dt)),
        logs_per_s: Math.round(perSecond(totals.logs - lastReport.logs, dt)),
        ...p.reportFields?.(),
        head: p.head.current,
        lag_blocks: p.head.current - meter.lastBlock,
        errors: totals.errors,
        rpc_calls: rpc.calls,
        rpc_retries: rpc.retries,
      });
      lastReport = { at: now, blocks: totals.blocks, logs: totals.logs };
    },
    stop: () => clearInterval(timer),
    countError() {
      meter.totals.errors += 1;
      metrics.sourceErrors.inc({ chain: p.chain });
    },
    summary(publisherTimings) {
      const progress = meter.progress();
      const seconds = progress.elapsedMs / 1000;
      const timings = { ...meter.timings, ...publisherTimings };
      return {
        ...progress,
        blocksPerS: perSecond(progress.blocks, seconds),
        logsPerS: perSecond(progress.logs, seconds),
        timings: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])) as unknown as SourceTimings,
      };
    },
  };
  const timer = setInterval(() => meter.report(), p.progressIntervalS * 1000);
  timer.unref();
  return meter;
}

/** The end of a run's loop by an error: a stop is the normal end; anything else is counted, logged and rethrown. */
export function rethrowUnlessStopped(run: SourceRun, error: unknown, msg: string): void {
  if (error instanceof SourceStoppedError || run.signal.aborted) return;
  run.meter.countError();
  run.logger.error({ msg, err: error, code: errorCode(error), last_block: run.meter.lastBlock });
  throw error;
}

// ---- retries ---------------------------------------------------------------------------------------

/** Retries after a failed batch fetch or publish, before the run gives up (its supervisor restarts it). */
const RETRIES = 8;

/** A fetch of blocks `from`..`to`, retried on retryable errors (a backoff from 250 ms, at most 10 s). */
export function fetchRetrying<T>(
  run: SourceRun,
  what: { msg: string; from: number; to: number },
  fetch: () => Promise<T>,
): Promise<T> {
  const retrying = (error: Error & { retriesLeft?: number }) =>
    !run.signal.aborted && isRetryable(error) && (error.retriesLeft ?? 1) > 0;
  return withRetry(fetch, {
    retries: RETRIES,
    initialDelayMs: 250,
    maxDelayMs: 10_000,
    signal: run.signal,
    shouldRetry: retrying,
    onFailedAttempt: (error) => {
      if (!retrying(error)) return;
      run.meter.countError();
      run.logger.warn({ msg: what.msg, from_block: what.from, to_block: what.to, attempt: error.attemptNumber, err: error });
    },
  });
}

/** A transactional producer and how to open another one with the same transactional id. */
export interface PublisherSlot {
  current: BlockPublisher;
  readonly open: () => Promise<BlockPublisher>;
}

export async function openPublisherSlot(open: () => Promise<BlockPublisher>): Promise<PublisherSlot> {
  return { current: await open(), open };
}

/** Serialize, send and commit times of every slot's current producer. */
export function publisherTimings(slots: readonly PublisherSlot[]): Pick<SourceTimings, 'serializeMs' | 'sendMs' | 'commitMs'> {
  const sum = (key: 'serializeMs' | 'sendMs' | 'commitMs') => slots.reduce((total, s) => total + s.current.timings[key], 0);
  return { serializeMs: sum('serializeMs'), sendMs: sum('sendMs'), commitMs: sum('commitMs') };
}

/**
 * One Kafka transaction, retried on any error, each retry on a new producer (a backoff from 500 ms, at most 10 s).
 * A stop does not cut a transaction in flight: it ends as it would have (committed, then checkpointed).
 */
export async function publishRetrying<T>(
  run: SourceRun,
  slot: PublisherSlot,
  send: (publisher: BlockPublisher) => Promise<T>,
): Promise<T> {
  let inFlight: Promise<T> | undefined;
  const attempt = async (n: number): Promise<T> => {
    if (n > 1) slot.current = await slot.open();
    return send(slot.current);
  };
  const retrying = (error: Error & { retriesLeft?: number }) => !run.signal.aborted && (error.retriesLeft ?? 1) > 0;
  try {
    return await withRetry((n) => (inFlight = attempt(n)), {
      retries: RETRIES,
      initialDelayMs: 500,
      maxDelayMs: 10_000,
      signal: run.signal,
      shouldRetry: retrying,
      onFailedAttempt: async (error) => {
        if (!retrying(error)) return;
        run.meter.countError();
        run.logger.warn({ msg: 'publish failed; retrying with a new producer', attempt: error.attemptNumber, err: error });
        await slot.current.close().catch(() => undefined);
      },
    });
  } catch (error) {
    if (run.signal.aborted && inFlight) return await inFlight;
    throw error;
  }
}

// ---- checkpoint ------------------------------------------------------------------------------------

/** A Kafka transaction that committed: what its checkpoint records and what it adds to the totals. */
export interface CommittedBatch {
  lastTo: number;
  tip: Pick<RecentBlock, 'hash' | 'timestampMs'> | undefined;
  /** The window as of this transaction. */
  window: RecentWindow;
  /** Highest version in the transaction. */
  lastVersion: number;
  blocks: number;
  logs: number;
  transactions: number;
  retracted: number;
}

export interface CheckpointHooks {
  /** Test hook: after the Kafka transaction committed, before its LMDB checkpoint. */
  afterPublish?: (lastBlock: number) => void | Promise<void>;
  /** Called after the checkpoint (CLI progress bar). */
  onProgress?: (progress: SourceProgress) => void;
  /** Called after the checkpoint (tests: crash points). */
  afterCommit?: (checkpoint: SourceCheckpoint) => void | Promise<void>;
}

/** Kafka committed: now the checkpoint (a crash in between is repaired by the tail read at the next start). */
export async function checkpointBatch(
  run: SourceRun,
  p: { state: SourceState; head: ChainHead; hooks: CheckpointHooks },
  batch: CommittedBatch,
): Promise<void> {
  await p.hooks.afterPublish?.(batch.lastTo);
  const startedAt = performance.now();
  const checkpoint: SourceCheckpoint = {
    blockNumber: batch.lastTo,
    blockHash: batch.tip?.hash ?? '',
    lastVersion: batch.lastVersion,
    updatedAtMs: Date.now(),
  };
  p.state.commit(checkpoint, batch.window);
  const { meter } = run;
  meter.timings.checkpointMs += performance.now() - startedAt;
  meter.lastBlock = batch.lastTo;
  meter.totals.blocks += batch.blocks;
  meter.totals.logs += batch.logs;
  meter.totals.transactions += batch.transactions;
  meter.totals.retracted += batch.retracted;
  observeSourceBatch(run.chain, {
    head: p.head.current,
    lastBlock: meter.lastBlock,
    tipTimestampMs: batch.tip?.timestampMs,
    blocks: batch.blocks,
    logs: batch.logs,
    transactions: batch.transactions,
    retracted: batch.retracted,
  });
  p.hooks.onProgress?.(meter.progress());
  await p.hooks.afterCommit?.(checkpoint);
}

// ---- versions --------------------------------------------------------------------------------------

/**
 * Record versions of one run: increasing, above every version the chain has published, and at least the wall
 * clock in µs. Reserved in block order, so batches prepared apart stay ordered.
 */
export interface VersionClock {
  /** The last version given out. */
  readonly last: number;
  /** `count` consecutive versions; returns the first. */
  reserve(count: number): number;
}

export function createVersionClock(floor: number): VersionClock {
  let last = floor;
  return {
    get last() {
      return last;
    },
    reserve(count) {
      const base = Math.max(last + 1, Date.now() * 1000);
      last = base + count - 1;
      return base;
    },
  };
}
