import type { BlockFetcher } from '../fetch/block-fetcher.ts';
import { encodeBlockRecords, type EncodedBlockRecords, type RawTopicEncoders } from '../publish/encoded-block.ts';
import { toBlockRecords } from '../publish/to-avro.ts';
import type { RecentBlock } from '../checkpoint/recent-window.ts';

/** A fetched block ready to publish: what reorg detection needs, its counts, and its encoded records. */
export interface PreparedBlock {
  ref: RecentBlock;
  logs: number;
  transactions: number;
  encoded: EncodedBlockRecords;
}

/** The blocks [from, to], ascending, fetched, normalised and Avro-encoded. */
export interface PreparedBatch {
  from: number;
  to: number;
  blocks: PreparedBlock[];
}

export interface PrepareRangeParameters {
  fetcher: BlockFetcher;
  encoders: RawTopicEncoders;
  from: number;
  to: number;
  /** Version of block `from`; block `from + i` gets `versionBase + i` (reserved by the source, in block order). */
  versionBase: number;
  signal?: AbortSignal;
}

/**
 * Fetch → normalise → Avro for one batch: everything the source does to a block before reorg
 * detection and Kafka, in one call, so it can run in a worker thread as well as in the source's own.
 */
export async function prepareRange(params: PrepareRangeParameters): Promise<PreparedBatch> {
  const { fetcher, encoders, from, to, versionBase } = params;
  const bundles = await fetcher.fetchRange(from, to, params.signal ? { signal: params.signal } : {});
  const observedAt = Date.now();
  const blocks = bundles.map((bundle, i): PreparedBlock => {
    const b = bundle.block;
    return {
      ref: { number: b.number, hash: b.hash, parentHash: b.parentHash, timestampMs: b.timestampMs },
      logs: bundle.logs.length,
      transactions: bundle.transactions.length,
      encoded: encodeBlockRecords(toBlockRecords(bundle, versionBase + i, observedAt), encoders),
    };
  });
  return { from, to, blocks };
}
