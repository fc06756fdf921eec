import { describe, expect, it } from 'vitest';
import {
  EMPTY_CHECKPOINT,
  INDEX_RECORD_KEY,
  afterRecord,
  commitRecords,
  decodeIndex,
  snapshotDue,
  storeRecords,
  type StoreCheckpoint,
} from './checkpoint.ts';
import {
  MAX_RECORD_BYTES,
  encodeEntries,
  encodeStateValue,
  forEachEntry,
  formatRecordKey,
  parseRecordKey,
  type StoreDelta,
} from './checkpoint-format.ts';
import { StateCheckpointFormatError } from './errors.ts';

const policy = { minDeltaBytes: 1_000, maxDeltaRecords: 50 };

/** What a compacted changelog keeps: the last value of each key, in the offset order of that last write. */
function compact(log: readonly { key: string; value: Buffer | null }[]): { key: string; value: Buffer | null }[] {
  const last = new Map<string, number>();
  log.forEach((r, i) => last.set(r.key, i));
  return log.filter((r, i) => last.get(r.key) === i && r.value !== null);
}

type Log = readonly { key: string; value: Buffer | null }[];

/** A restore of one store: its records from `from` in offset order into a map; a snapshot's part 0 clears it. */
function replay(log: Log, name: string, from = 0): Map<string, string> {
  const store = new Map<string, string>();
  for (const { key, value } of log.slice(from)) {
    if (value === null || key === INDEX_RECORD_KEY) continue;
    const k = parseRecordKey(key);
    if (k.store !== name) continue;
    if (k.kind === 'snapshot' && k.seq === 0) store.clear();
    forEachEntry(value, (entry, bytes) => {
      if (bytes === undefined) store.delete(entry);
      else store.set(entry, bytes.toString('hex'));
    });
  }
  return store;
}

/** An empty-disk restore: from the store's snapshot named by the last index record (offsets = positions in the log). */
function replayFromIndex(log: Log, name: string): Map<string, string> {
  const last = log.findLastIndex((r) => r.key === INDEX_RECORD_KEY);
  const from = last < 0 ? 0 : Math.max(0, decodeIndex(log[last]?.value as Buffer).get(name) ?? 0);
  return replay(log, name, from);
}

describe('changelog record format', () => {
  it('round-trips keys and entries, deletes included, and splits large deltas into records under the limit', () => {
    const key = { store: 'windows', kind: 'snapshot', generation: 12, seq: 3 } as const;
    expect(parseRecordKey(formatRecordKey(key))).toEqual(key);
    const big = Buffer.alloc(100_000, 7);
    const entries: [string, Buffer | undefined][] = [];
    for (let i = 0; i < 20; i++) entries.push([`k${i}|ünïcode`, i % 5 === 0 ? undefined : big]);
    const values = encodeEntries(entries);
    expect(values.length).toBeGreaterThan(3);
    for (const v of values) expect(v.length).toBeLessThanOrEqual(MAX_RECORD_BYTES);
    const back: [string, string | undefined][] = [];
    for (const v of values) forEachEntry(v, (k, b) => back.push([k, b?.toString('base64')]));
    expect(back).toEqual(entries.map(([k, b]) => [k, b?.toString('base64')]));
  });

  it('rejects foreign keys, unknown versions and truncated values with a typed error', () => {
    expect(() => parseRecordKey('next_offset')).toThrow(StateCheckpointFormatError);
    expect(() => forEachEntry(Buffer.from([9]), () => undefined)).toThrow(StateCheckpointFormatError);
    const [value] = encodeEntries([['key', encodeStateValue('a value')]]);
    expect(() => forEachEntry((value as Buffer).subarray(0, 10), () => undefined)).toThrow(StateCheckpointFormatError);
  });
});

describe('checkpoints', () => {
  it('snapshot when the deltas outweigh the last snapshot and the minimum, or are too many', () => {
    const at = (c: Partial<StoreCheckpoint>): boolean => snapshotDue({ ...EMPTY_CHECKPOINT, ...c }, policy);
    expect(at({})).toBe(false);
    expect(at({ nextSeq: 3, deltaBytes: 999 })).toBe(false);
    expect(at({ nextSeq: 3, deltaBytes: 1_000 })).toBe(true);
    expect(at({ nextSeq: 3, deltaBytes: 1_500, snapshotBytes: 2_000 })).toBe(false);
    expect(at({ nextSeq: 3, deltaBytes: 2_000, snapshotBytes: 2_000 })).toBe(true);
    expect(at({ nextSeq: 50, deltaBytes: 10 })).toBe(true);
  });

  it('stores rebuilt from the changelog (whole, compacted, or from the last index) equal them, after every commit', () => {
    let seed = 7;
    const random = (n: number): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
    const stores = ['windows', 'distinct'];
    const truth = new Map(stores.map((s) => [s, new Map<string, Buffer>()]));
    const checkpoints = new Map(stores.map((s) => [s, EMPTY_CHECKPOINT]));
    const log: { key: string; value: Buffer | null }[] = [];
    let snapshots = 0;
    for (let commit = 0; commit < 300; commit++) {
      const commits = stores.map((store) => {
        const d: StoreDelta = new Map();
        for (let i = random(store === 'windows' ? 12 : 3) - 1; i >= 0; i--)
          d.set(`ws|${random(40)}`, random(4) === 0 ? undefined : encodeStateValue({ n: random(1_000), c: commit }));
        // As the task does: a due snapshot reads the committed store, before this commit's delta applies.
        const checkpoint = checkpoints.get(store) ?? EMPTY_CHECKPOINT;
        const due = snapshotDue(checkpoint, policy);
        snapshots += due ? 1 : 0;
        const committed = [...(truth.get(store) ?? [])].sort(([a], [b]) => (a < b ? -1 : 1));
        return { store, checkpoint, delta: d, committed: due ? () => committed : undefined };
      });
      const written = commitRecords(commits, log.length);
      log.push(...written.records);
      for (const [store, checkpoint] of written.checkpoints) checkpoints.set(store, checkpoint);
      for (const { store, delta } of commits) {
        const t = truth.get(store) as Map<string, Buffer>;
        for (const [k, v] of delta) {
          if (v === undefined) t.delete(k);
          else t.set(k, v);
        }
      }
      for (const store of stores) {
        const expected = new Map([...(truth.get(store) ?? [])].map(([k, v]) => [k, v.toString('hex')]));
        expect(replay(log, store)).toEqual(expected);
        expect(replay(compact(log), store)).toEqual(expected);
        expect(replayFromIndex(log, store)).toEqual(expected);
      }
    }
    expect(snapshots).toBeGreaterThan(3);
    // Compaction keeps only the current generation of each store: one snapshot and the deltas written after it.
    for (const store of stores) {
      const kept = compact(log)
        .filter((r) => r.key !== INDEX_RECORD_KEY)
        .map((r) => parseRecordKey(r.key))
        .filter((k) => k.store === store);
      const checkpoint = checkpoints.get(store) as StoreCheckpoint;
      expect(new Set(kept.map((k) => k.generation))).toEqual(new Set([checkpoint.generation]));
      expect(kept.filter((k) => k.kind === 'delta')).toHaveLength(checkpoint.nextSeq);
    }
  });

  it('a restore that reads the records rebuilds the writer checkpoint', () => {
    let checkpoint = EMPTY_CHECKPOINT;
    const log: { key: string; value: Buffer | null }[] = [];
    for (let commit = 0; commit < 40; commit++) {
      const d: StoreDelta = new Map([[`k${commit % 7}`, encodeStateValue('x'.repeat(100))]]);
      const due = snapshotDue(checkpoint, policy);
      const written = storeRecords('s', checkpoint, d, due ? () => [] : undefined, log.length);
      log.push(...written.records);
      checkpoint = written.checkpoint;
    }
    let rebuilt = EMPTY_CHECKPOINT;
    log.forEach((r, offset) => {
      if (r.value !== null) rebuilt = afterRecord(rebuilt, parseRecordKey(r.key), r.value.length, offset);
    });
    expect(rebuilt).toEqual(checkpoint);
    expect(checkpoint.generation).toBeGreaterThan(0);
  });
});
