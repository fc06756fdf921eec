import { Packr } from 'msgpackr';
import { StateCheckpointFormatError } from './errors.ts';
import type { Plain } from './types.ts';

/**
 * The records of a task's changelog (ADR 0019). One compacted topic per stage, one partition per task; a record
 * carries many entries of one store, never one key:
 *
 * - key `<store>/d/<generation>/<seq>`: a **delta**, the net changes of one commit (or a part of them);
 * - key `<store>/s/<generation>/<part>`: a **snapshot** part; part 0 means "the store is exactly the parts of this
 *   snapshot plus the deltas of its generation that follow".
 *
 * Writing generation g+1's snapshot tombstones every record key of generation g in the same Kafka transaction, so
 * compaction keeps at most one snapshot and the deltas after it. Replaying the partition in offset order from any
 * recorded position rebuilds the store exactly (a snapshot's part 0 clears it first).
 *
 * Value = version byte, then entries: u16 key length, key (UTF-8), i32 value length (-1 = delete), value bytes
 * (msgpack of the store codec's Plain). Values are kept as bytes from the commit to LMDB and to Kafka, so neither
 * the writer nor the restore decodes them.
 */

const FORMAT_VERSION = 1;
const DELETED = -1;
/** Entries of one record stop below this size: kafkajs puts a request's records of a partition in one batch. */
export const MAX_RECORD_BYTES = 480 * 1024;

// Plain values only: structures-free, so any reader (and a future version) decodes a value alone.
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** A store value as the bytes LMDB and the changelog hold. */
export function encodeStateValue(plain: Plain): Buffer {
  return packr.pack(plain);
}

export function decodeStateValue(bytes: Uint8Array): Plain {
  return packr.unpack(bytes) as Plain;
}

/** One store's net changes of a commit: `undefined` deletes the key. */
export type StoreDelta = Map<string, Buffer | undefined>;

export type RecordKind = 'delta' | 'snapshot';

export interface CheckpointRecordKey {
  readonly store: string;
  readonly kind: RecordKind;
  readonly generation: number;
  /** Delta: its number within the generation; snapshot: its part number. */
  readonly seq: number;
}

export function formatRecordKey(key: CheckpointRecordKey): string {
  return `${key.store}/${key.kind === 'delta' ? 'd' : 's'}/${key.generation}/${key.seq}`;
}

export function parseRecordKey(text: string): CheckpointRecordKey {
  const parts = text.split('/');
  const [store, kind, generation, seq] = parts;
  const gen = Number(generation);
  const n = Number(seq);
  if (parts.length !== 4 || (kind !== 'd' && kind !== 's') || !Number.isSafeInteger(gen) || !Number.isSafeInteger(n))
    throw new StateCheckpointFormatError(`not a changelog record key: ${text}`, { key: text });
  return { store: store as string, kind: kind === 'd' ? 'delta' : 'snapshot', generation: gen, seq: n };
}

/**
 * Packs entries into record values of at most ~{@link MAX_RECORD_BYTES} each (an entry larger than that gets a
 * value of its own). Always at least one value, so an empty snapshot is a record too. Each value is written into one
 * buffer sized up front (a commit's delta holds thousands of entries: no per-entry allocations).
 */
export function encodeEntries(entries: Iterable<readonly [string, Buffer | undefined]>): Buffer[] {
  const values: Buffer[] = [];
  let chunk: (readonly [string, Buffer | undefined, number])[] = [];
  let bytes = 1;
  for (const [key, value] of entries) {
    const keyBytes = Buffer.byteLength(key);
    const size = 6 + keyBytes + (value === undefined ? 0 : value.length);
    if (bytes > 1 && bytes + size > MAX_RECORD_BYTES) {
      values.push(writeRecord(chunk, bytes));
      chunk = [];
      bytes = 1;
    }
    chunk.push([key, value, keyBytes]);
    bytes += size;
  }
  values.push(writeRecord(chunk, bytes));
  return values;
}

function writeRecord(entries: readonly (readonly [string, Buffer | undefined, number])[], bytes: number): Buffer {
  const record = Buffer.allocUnsafe(bytes);
  record[0] = FORMAT_VERSION;
  let at = 1;
  for (const [key, value, keyBytes] of entries) {
    at = record.writeUInt16LE(keyBytes, at);
    at += record.write(key, at, keyBytes, 'utf8');
    at = record.writeInt32LE(value === undefined ? DELETED : value.length, at);
    if (value !== undefined) at += value.copy(record, at);
  }
  return record;
}

/**
 * Calls `visit` for each entry of a record value, in order. Value bytes are views into `record` (no copy): use them
 * before the record is released.
 */
export function forEachEntry(record: Buffer, visit: (key: string, value: Buffer | undefined) => void): number {
  if (record.length < 1 || record[0] !== FORMAT_VERSION)
    throw new StateCheckpointFormatError('unknown changelog record format', { version: record[0] ?? null });
  let at = 1;
  let count = 0;
  while (at < record.length) {
    const keyLength = readChecked(record, at, 2).readUInt16LE(at);
    const keyEnd = at + 2 + keyLength;
    const valueLength = readChecked(record, keyEnd, 4).readInt32LE(keyEnd);
    const key = record.toString('utf8', at + 2, keyEnd);
    at = keyEnd + 4;
    if (valueLength === DELETED) visit(key, undefined);
    else {
      visit(key, readChecked(record, at, valueLength).subarray(at, at + valueLength));
      at += valueLength;
    }
    count++;
  }
  return count;
}

function readChecked(record: Buffer, at: number, length: number): Buffer {
  if (length < 0 || at + length > record.length)
    throw new StateCheckpointFormatError('truncated changelog record', { at, length, size: record.length });
  return record;
}
