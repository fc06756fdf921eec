import { mkdirSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import { createRecentWindow, type RecentBlock, type RecentWindow } from './recent-window.ts';

/** The last fully published block of a chain: everything up to it is in Kafka (committed). */
export interface SourceCheckpoint {
  blockNumber: number;
  blockHash: string;
  /** Highest record version used so far (versions never go back, across restarts too). */
  lastVersion: number;
  updatedAtMs: number;
}

export interface SourceState {
  readonly chainId: number;
  readonly stream: string;
  checkpoint(): SourceCheckpoint | undefined;
  /** A working copy of the persisted recent-hash window. */
  recent(): RecentWindow;
  /**
   * Persists the checkpoint and the recent-hash window (replacing the stored one) in one LMDB
   * transaction. Call only after the Kafka transaction that published up to `checkpoint` committed.
   */
  commit(checkpoint: SourceCheckpoint, recent: RecentWindow): void;
  close(): Promise<void>;
}

type Key = [string, number, string] | [string, number, string, number];

/**
 * LMDB store of the block source (`<stateDir>/source/<chain>`): per chain, the checkpoint and the
 * hashes of the last `confirmations + margin` published blocks. Writes are synchronous and
 * durable (LMDB commits with fsync), so a `kill -9` loses at most a batch Kafka already holds,
 * which the resume step finds again in the committed tail of eth.blocks.raw.
 */
export function openSourceState(params: {
  dir: string;
  chainId: number;
  /** Independent progress lines of one chain: `live`, or `backfill-<from>-<to>` for a bounded backfill. */
  stream: string;
}): SourceState {
  mkdirSync(params.dir, { recursive: true });
  const root: RootDatabase = open({ path: params.dir, compression: false });
  const db = root as unknown as Database<unknown, Key>;
  const { chainId, stream } = params;
  const checkpointKey: Key = ['checkpoint', chainId, stream];
  const recentRange = {
    start: ['recent', chainId, stream, 0] as Key,
    end: ['recent', chainId, stream, Number.MAX_SAFE_INTEGER] as Key,
  };

  return {
    chainId,
    stream,
    checkpoint: () => db.get(checkpointKey) as SourceCheckpoint | undefined,
    recent() {
      const blocks: RecentBlock[] = [];
      for (const { value } of db.getRange(recentRange)) blocks.push(value as RecentBlock);
      return createRecentWindow(blocks);
    },
    commit(checkpoint, recent) {
      db.transactionSync(() => {
        for (const { key } of db.getRange(recentRange)) void db.remove(key);
        for (const b of recent.entries()) void db.put(['recent', chainId, stream, b.number], b);
        void db.put(checkpointKey, checkpoint);
      });
    },
    close: () => root.close(),
  };
}
