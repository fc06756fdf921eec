/**
 * The transfers-only backfill (`oracul backfill --from … --to … --transfers-only`): Transfer logs by eth_getLogs
 * over adaptive block ranges plus batched headers, instead of whole blocks with transactions and receipts.
 * It publishes through the block source's publisher and records (one Kafka transaction per range, in block
 * order) and resumes like it (LMDB checkpoint per stream `transfers-<from>-<to>`, committed tail of
 * eth.blocks.raw), so the decoder, marts and anomalies see the same eth.logs.raw records as from a full run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import type { OraculConfig } from '../../../config/schema.ts';
import type { Common } from '../../../core/common.ts';
import { errorCode, isRetryable } from '../../../core/errors.ts';
import { createKafka } from '../../../core/kafka/client.ts';
import { componentLogger, type Logger } from '../../../core/logger.ts';
import { metrics, observeSourceBatch, observeSourceHead } from '../../../core/metrics/index.ts';
import type { Serdes } from '../../../schemas/index.ts';
import { detectCapabilities } from '../capabilities/detect-capabilities.ts';
import { adoptCommittedBlocks } from '../loop/adopt-committed.ts';
import { readCommittedTail } from '../loop/committed-tail.ts';
import { sourceStateDir, type SourceProgress } from '../loop/block-source.ts';
import { SourceStoppedError } from '../loop/errors.ts';
import { ChainDataMismatchError } from '../normalize/mismatch-error.ts';
import { createBlockPublisher, type BlockPublisher } from '../publish/publisher.ts';
import type { BlockRecords } from '../publish/to-avro.ts';
import { ingestRpcDefaults } from '../rpc/ingest-rpc-defaults.ts';
import { createRpcClient, type RpcClient } from '../rpc/rpc-client.ts';
import { createRecentWindow, type RecentWindow } from '../state/recent-window.ts';
import { openSourceState, type SourceCheckpoint, type SourceState } from '../state/source-state.ts';
import { createTransfersFetcher } from './fetch-transfers.ts';
import type { TransferBlock } from './normalize-transfers.ts';
import { createRangeSizer, type RangeSizerOptions } from './range-sizer.ts';
import { isTransfersOnlyRecord, toTransferBlockRecords } from './to-records.ts';

type ChainConfig = OraculConfig['chains'][number];

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

/** LMDB stream (and Kafka transactional id suffix) of a transfers-only range: separate from a full backfill's. */
export const transfersStream = (from: number, to: number): string => `transfers-${from}-${to}`;

export async function runTransfersBackfill(
  common: Common,
  options: TransfersBackfillOptions,
  range: { from: number; to: number; signal?: AbortSignal },
): Promise<TransfersSummary> {
  const { config } = common;
  const chain: ChainConfig | undefined = options.chain ? config.chains.find((c) => c.name === options.chain) : config.chains[0];
  if (!chain) throw new RangeError(`no chain ${options.chain ?? ''} in config.chains`);
  if (!Number.isSafeInteger(range.from) || !Number.isSafeInteger(range.to) || range.from < 0 || range.to < range.from)
    throw new RangeError(`invalid block range ${range.from}..${range.to}`);
  const ingest = { ...config.ingest, ...options.ingest };
  const stream = transfersStream(range.from, range.to);
  const logger: Logger = componentLogger(common.logger, 'transfers-source', { chain: chain.name, stream });
  const signal = range.signal ?? common.shutdown.signal;
  const urls = options.rpcUrls ?? chain.rpcUrls;
  if (urls.length === 0) throw new RangeError(`chain ${chain.name}: no RPC endpoint (set ORACUL_RPC_URL or chains[].rpcUrls)`);

  const rpc: RpcClient = createRpcClient({
    chain: chain.name,
    endpoints: urls,
    defaults: ingestRpcDefaults(ingest),
    logger,
  });
  const caps = await detectCapabilities({ rpc, chainId: chain.chainId, logger });
  const sizer = createRangeSizer(options.range);
  const fetcher = createTransfersFetcher({ rpc, chainId: chain.chainId, sizer, logger });

  const kafka = options.kafka ?? createKafka({ config, logger: common.logger, clientSuffix: `source-${chain.name}` });
  const state: SourceState = openSourceState({ dir: sourceStateDir(config, options.stateDir), chainId: chain.chainId, stream });
  const transactionalId = `${config.kafka.clientId}-source-${chain.name}-${stream}`;
  const keep = chain.confirmations + ingest.reorgMargin;
  const publishers: BlockPublisher[] = [];
  const newPublisher = (slot: number) =>
    createBlockPublisher({
      kafka,
      serdes: options.serdes,
      transactionalId: slot === 0 ? transactionalId : `${transactionalId}-${slot}`,
      logger,
      compression: ingest.compression,
    });

  try {
    // Connecting every producer first fences a killed run's open transactions before the tail is read.
    for (let slot = 0; slot < Math.max(1, options.publishers ?? 1); slot += 1) publishers.push(await newPublisher(slot));

    // ---- where to start (as the block source: checkpoint, then what Kafka committed after it) ----------
    let checkpoint = state.checkpoint();
    let window: RecentWindow = state.recent();
    let lastVersion = checkpoint?.lastVersion ?? 0;
    const txMaxBlocks = Math.max(1, options.transactionMaxBlocks ?? 2_000);
    const txMaxLogs = Math.max(1, options.transactionMaxLogs ?? 50_000);
    // One transaction may hold a whole range (up to sizer.max blocks) or a group of ranges: read that much of the tail.
    const tail = await readCommittedTail({
      kafka,
      serdes: options.serdes,
      chainId: chain.chainId,
      perPartition: Math.max(sizer.max, txMaxBlocks) + keep,
      logger,
    });
    // Adopt only transfers-only records: a full block in the tail is another stream's business.
    const candidates = new Map<number, (typeof tail.records)[number]>();
    for (const r of tail.records) {
      if (r.version > lastVersion && r.block_number >= range.from && r.block_number <= range.to && isTransfersOnlyRecord(r))
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

    let next = checkpoint && checkpoint.blockNumber + 1 >= range.from ? checkpoint.blockNumber + 1 : range.from;
    if (checkpoint && next === range.from) window = createRecentWindow();
    const resumedFrom = checkpoint ? checkpoint.blockNumber + 1 : null;
    const fromBlock = next;
    let chainHead = caps.head;
    const safeHead = () => chainHead - chain.confirmations;
    logger.info({
      msg: 'transfers-only backfill starting',
      from_block: next,
      to_block: range.to,
      resumed: resumedFrom !== null && next === resumedFrom,
      head: chainHead,
      confirmations: chain.confirmations,
      concurrency: ingest.concurrency,
      range_size: sizer.size,
      range_max: sizer.max,
      target_logs: sizer.targetLogs,
    });

    // ---- progress -----------------------------------------------------------------------------
    const startedAt = performance.now();
    const totals = { blocks: 0, logs: 0, errors: 0, transactions: 0 };
    const timings = { fetchWaitMs: 0, buildMs: 0, publishMs: 0, checkpointMs: 0 };
    let lastBlock = next - 1;
    let lastReport = { at: startedAt, blocks: 0, logs: 0 };
    const progress = (): SourceProgress => ({
      chain: chain.name,
      fromBlock,
      toBlock: range.to,
      lastBlock,
      head: chainHead,
      blocks: totals.blocks,
      logs: totals.logs,
      transactions: 0,
      retracted: 0,
      errors: totals.errors,
      elapsedMs: performance.now() - startedAt,
    });
    const report = () => {
      const now = performance.now();
      const dt = (now - lastReport.at) / 1000;
      logger.info({
        msg: 'ingest progress',
        mode: 'transfers-only',
        chain: chain.name,
        from_block: fromBlock,
        to_block: range.to,
        last_block: lastBlock,
        blocks_per_s: dt > 0 ? Math.round((totals.blocks - lastReport.blocks) / dt) : 0,
        logs_per_s: dt > 0 ? Math.round((totals.logs - lastReport.logs) / dt) : 0,
        range_size: sizer.size,
        range_splits: sizer.splits,
        head: chainHead,
        lag_blocks: chainHead - lastBlock,
        errors: totals.errors,
        rpc_calls: rpc.stats.calls,
        rpc_retries: rpc.stats.retries,
      });
      lastReport = { at: now, blocks: totals.blocks, logs: totals.logs };
    };
    const progressTimer = setInterval(report, ingest.progressIntervalS * 1000);
    progressTimer.unref();

    // ---- fetch pipeline: several ranges in flight, consumed in block order -----------------------
    const fetchRange = async (from: number, to: number): Promise<TransferBlock[]> => {
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await fetcher.fetchRange(from, to, { signal });
        } catch (error) {
          if (signal.aborted || !isRetryable(error) || attempt >= 8) throw error;
          totals.errors += 1;
          metrics.sourceErrors.inc({ chain: chain.name });
          logger.warn({ msg: 'range fetch failed; retrying', from_block: from, to_block: to, attempt: attempt + 1, err: error });
          await sleep(Math.min(10_000, 250 * 2 ** attempt) * (1 + Math.random()), undefined, { signal });
        }
      }
    };
    interface InFlight {
      from: number;
      to: number;
      promise: Promise<TransferBlock[]>;
      /** Set once fetched: ranges that are ready join the transaction of the one awaited. */
      result?: TransferBlock[];
    }
    const inflight: InFlight[] = [];
    let scheduled = next;
    const target = () => Math.min(range.to, safeHead());
    const schedule = () => {
      while (inflight.length < ingest.concurrency && scheduled <= target()) {
        const from = scheduled;
        const to = Math.min(from + sizer.size - 1, target());
        const entry: InFlight = { from, to, promise: fetchRange(from, to) };
        entry.promise.then(
          (blocks) => (entry.result = blocks),
          () => undefined, // awaited in order below
        );
        inflight.push(entry);
        scheduled = to + 1;
      }
    };
    const nextVersion = () => {
      lastVersion = Math.max(lastVersion + 1, Date.now() * 1000);
      return lastVersion;
    };
    const publish = async (slot: number, items: BlockRecords[]) => {
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await publishers[slot]!.publish(items);
        } catch (error) {
          if (signal.aborted || attempt >= 8) throw error;
          totals.errors += 1;
          metrics.sourceErrors.inc({ chain: chain.name });
          logger.warn({ msg: 'publish failed; retrying with a new producer', attempt: attempt + 1, err: error });
          await publishers[slot]!.close().catch(() => undefined);
          await sleep(Math.min(10_000, 500 * 2 ** attempt), undefined, { signal });
          publishers[slot] = await newPublisher(slot);
        }
      }
    };

    interface Pending {
      lastTo: number;
      tip: TransferBlock['block'];
      /** The window as of this group, for its checkpoint. */
      window: RecentWindow;
      lastVersion: number;
      blocks: number;
      logs: number;
      done: Promise<unknown>;
    }
    const pending: Pending[] = [];
    let nextSlot = 0;
    /** Waits for a group's Kafka commit, then writes its checkpoint (groups settle in block order). */
    const settle = async (group: Pending): Promise<void> => {
      let t0 = performance.now();
      await group.done;
      timings.publishMs += performance.now() - t0;
      await options.afterPublish?.(group.lastTo);
      t0 = performance.now();
      // Kafka committed: now the checkpoint (a crash in between is repaired by the tail read).
      const checkpoint: SourceCheckpoint = {
        blockNumber: group.lastTo,
        blockHash: group.tip.hash,
        lastVersion: group.lastVersion,
        updatedAtMs: Date.now(),
      };
      state.commit(checkpoint, group.window);
      timings.checkpointMs += performance.now() - t0;
      lastBlock = group.lastTo;
      totals.blocks += group.blocks;
      totals.logs += group.logs;
      totals.transactions += 1;
      observeSourceBatch(chain.name, {
        head: chainHead,
        lastBlock,
        tipTimestampMs: group.tip.timestampMs,
        blocks: group.blocks,
        logs: group.logs,
        transactions: 0,
        retracted: 0,
      });
      options.onProgress?.(progress());
      await options.afterCommit?.(checkpoint);
    };

    try {
      while (next <= range.to) {
        if (signal.aborted) throw new SourceStoppedError(chain.name);
        if (next > target()) {
          chainHead = Number(BigInt((await rpc.request('eth_blockNumber', [], { signal })) as string));
          observeSourceHead(chain.name, chainHead, lastBlock);
          if (next > target()) {
            logger.info({ msg: 'waiting for the chain to reach the backfill range', next, safe_head: safeHead() });
            await sleep(ingest.pollIntervalMs, undefined, { signal });
            continue;
          }
        }
        schedule();
        const range_ = inflight.shift()!;
        schedule(); // keep `concurrency` ranges in flight while this one is published
        let t0 = performance.now();
        let blocks = await range_.promise;
        let t1 = performance.now();
        timings.fetchWaitMs += t1 - t0;
        // Ranges are fetched apart: the first block must continue what was published before it.
        for (let attempt = 0; ; attempt += 1) {
          const parent = window.get(range_.from - 1);
          if (parent === undefined || parent.hash === blocks[0]!.block.parentHash) break;
          const mismatch = new ChainDataMismatchError(
            blocks[0]!.block,
            `parent hash ${blocks[0]!.block.parentHash} is not the published block ${parent.number}'s ${parent.hash}`,
          );
          if (attempt >= 3) throw mismatch;
          logger.warn({ msg: 'range does not continue the published chain; refetching', from_block: range_.from, err: mismatch });
          blocks = await fetchRange(range_.from, range_.to);
        }
        // Ranges fetched meanwhile that continue this one go into the same transaction.
        let lastTo = range_.to;
        let logCount = blocks.reduce((n, b) => n + b.logs.length, 0);
        for (;;) {
          const ready = inflight[0]?.result;
          if (ready === undefined || blocks.length + ready.length > txMaxBlocks) break;
          const readyLogs = ready.reduce((n, b) => n + b.logs.length, 0);
          if (logCount + readyLogs > txMaxLogs || ready[0]!.block.parentHash !== blocks.at(-1)!.block.hash) break;
          lastTo = inflight.shift()!.to;
          blocks = blocks.concat(ready);
          logCount += readyLogs;
          schedule();
        }
        t0 = performance.now();
        const observedAt = Date.now();
        const items: BlockRecords[] = [];
        let logs = 0;
        for (const b of blocks) {
          items.push(toTransferBlockRecords(b, nextVersion(), observedAt));
          window.put({
            number: b.block.number,
            hash: b.block.hash,
            parentHash: b.block.parentHash,
            timestampMs: b.block.timestampMs,
          });
          logs += b.logs.length;
        }
        const tip = blocks.at(-1)!.block;
        window.pruneBelow(tip.number - keep);
        t1 = performance.now();
        timings.buildMs += t1 - t0;
        t0 = t1;
        // Published on the next producer while earlier groups may still be in flight; checkpointed in order.
        const group: Pending = {
          lastTo,
          tip,
          window: window.clone(),
          lastVersion,
          blocks: blocks.length,
          logs,
          done: publish(nextSlot, items),
        };
        group.done.catch(() => undefined); // settled in order below
        nextSlot = (nextSlot + 1) % publishers.length;
        pending.push(group);
        next = lastTo + 1;
        while (pending.length >= publishers.length) await settle(pending.shift()!);
      }
      while (pending.length > 0) await settle(pending.shift()!);
    } catch (error) {
      if (!(error instanceof SourceStoppedError) && !signal.aborted) {
        totals.errors += 1;
        metrics.sourceErrors.inc({ chain: chain.name });
        logger.error({ msg: 'transfers-only backfill failed', err: error, code: errorCode(error), last_block: lastBlock });
        throw error;
      }
    } finally {
      clearInterval(progressTimer);
      for (const f of inflight) f.promise.catch(() => undefined);
      for (const g of pending) g.done.catch(() => undefined);
    }

    report();
    const p = progress();
    const seconds = p.elapsedMs / 1000;
    const summary: TransfersSummary = {
      ...p,
      mode: 'transfers-only',
      stream,
      resumedFrom,
      adopted: adoption.adopted,
      kafkaTransactions: totals.transactions,
      rangeSplits: sizer.splits,
      rangeSize: sizer.size,
      blocksPerS: seconds > 0 ? p.blocks / seconds : 0,
      logsPerS: seconds > 0 ? p.logs / seconds : 0,
      timings: Object.fromEntries(
        Object.entries({
          ...timings,
          serializeMs: sum(publishers.map((p) => p.timings.serializeMs)),
          sendMs: sum(publishers.map((p) => p.timings.sendMs)),
          commitMs: sum(publishers.map((p) => p.timings.commitMs)),
        }).map(([k, v]) => [k, Math.round(v)]),
      ) as TransfersSummary['timings'],
    };
    logger.info({ msg: 'transfers-only backfill done', ...summary });
    return summary;
  } finally {
    await Promise.all(publishers.map((p) => p.close().catch(() => undefined)));
    await state.close();
  }
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
