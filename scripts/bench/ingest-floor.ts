/**
 * The floor of end-to-end ingestion (scripts/bench/ingest.ts `--scenarios floor`): parsed JSON-RPC answers
 * (eth_getBlockByNumber with transactions + eth_getBlockReceipts) written straight into the RowBinary of raw_blocks,
 * raw_transactions and raw_logs, every column of RAW_*_COLUMNS with the values the production path gives them
 * (normalizeBlock / normalizeReceipts → toBlockRecords → raw-rows.ts → row-encoder.ts), but without any of its
 * intermediate objects: no normalised records, no bigint, no Avro record, no row object, no date text parsed back.
 * `ingest-floor.test.ts` proves the bytes equal for recorded mainnet blocks and synthetic mainnet-shaped ones.
 *
 * What it keeps of the production path's checks: every hex field's shape (0x, digits, length rule) and lowercasing,
 * quantities that must fit a JS number, one receipt per transaction for the same hash, logs of this block in
 * contiguous logIndex order naming a transaction of the block. What it leaves out (so it is a floor, not a
 * rival implementation): the fields the raw tables do not store (roots, bloom, difficulty…) and the bloom check;
 * errors are plain FloorDataError (the production path's typed errors are its own).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { Readable } from 'node:stream';
import { RAW_BLOCKS_COLUMNS, RAW_LOGS_COLUMNS, RAW_TRANSACTIONS_COLUMNS } from '../../processors/sinks/raw-columns.ts';
import { BinaryWriter } from '../../processors/sinks/row-binary/binary-writer.ts';
import { ADDRESS20, HASH32, HEX_DATA, LOWER_HEX } from '../../processors/sinks/transcode/column-writers.ts';

/** Provider data the floor cannot write the way the production path would (the bench stops on it). */
export class FloorDataError extends Error {
  override readonly name = 'FloorDataError';
}

/** Byte of a hex digit → its lowercase byte; 0 for anything else. */
const LOWER = new Uint8Array(256);
/** Byte of a hex digit → its value + 1; 0 for anything else. */
const NIBBLE = new Uint8Array(256);
for (let i = 0; i < 16; i += 1) {
  const lower = '0123456789abcdef'.charCodeAt(i);
  const upper = '0123456789ABCDEF'.charCodeAt(i);
  LOWER[lower] = lower;
  LOWER[upper] = lower;
  NIBBLE[lower] = i + 1;
  NIBBLE[upper] = i + 1;
}

function fail(what: string, field: string, value: unknown): FloorDataError {
  return new FloorDataError(`${what}: ${field} ${JSON.stringify(value)?.slice(0, 80)}`);
}

/**
 * A String column of lowercase 0x-hex from `v` (hash, address, or even-length data): the string copied as it is
 * (latin1, one native copy), then checked 4 bytes per step; only a string that is not all lowercase (mixed-case
 * provider answers) takes a second pass that lowercases in place or refuses it. (A character past U+00FF would be
 * copied as its low byte; JSON-RPC hex never has one, and the floor is not the validator.)
 */
function hex(w: BinaryWriter, v: unknown, width: number, what: string, field: string): void {
  if (typeof v !== 'string') throw fail(what, field, v);
  const len = v.length;
  if (width === HEX_DATA ? len < 2 || len % 2 !== 0 : len !== width) throw fail(what, field, v);
  w.varUInt(len);
  w.ensure(len);
  const b = w.buf;
  const view = w.view;
  const start = w.pos;
  (b as unknown as { latin1Write(s: string, o: number, l: number): number }).latin1Write(v, start, len);
  const end = start + len;
  let ok = b[start] === 48 && b[start + 1] === 120;
  let i = start + 2;
  for (; ok && i + 4 <= end; i += 4) {
    const x = view.getUint32(i, true);
    ok = (LOWER_HEX[x & 0xff]! & LOWER_HEX[(x >>> 8) & 0xff]! & LOWER_HEX[(x >>> 16) & 0xff]! & LOWER_HEX[x >>> 24]!) === 1;
  }
  for (; ok && i < end; i += 1) ok = LOWER_HEX[b[i]!] === 1;
  if (!ok) lowercaseInPlace(b, start, end, () => fail(what, field, v));
  w.pos = end;
}

/** The slow path of hex(): "0X" and A–F lowercased in b[start, end); anything else refused. */
function lowercaseInPlace(b: Uint8Array, start: number, end: number, refuse: () => Error): void {
  if (b[start] !== 48 || (b[start + 1]! | 0x20) !== 120) throw refuse();
  b[start + 1] = 120;
  for (let i = start + 2; i < end; i += 1) {
    const c = LOWER[b[i]!]!;
    if (c === 0) throw refuse();
    b[i] = c;
  }
}

function nullableHex(w: BinaryWriter, v: unknown, width: number, what: string, field: string): void {
  if (v === undefined || v === null) return w.u8(1);
  w.u8(0);
  hex(w, v, width, what, field);
}

/** A JSON-RPC quantity's digits checked (0x, 1–64 hex digits, `maxDigits` at most); returns the digit count. */
function quantityDigits(v: unknown, maxDigits: number, what: string, field: string): number {
  if (typeof v !== 'string' || v.length <= 2 || v.length > maxDigits + 2) throw fail(what, field, v);
  if (v.charCodeAt(0) !== 48 || (v.charCodeAt(1) | 0x20) !== 120) throw fail(what, field, v);
  for (let i = 2; i < v.length; i += 1)
    if (NIBBLE[v.charCodeAt(i) & 0xff] === 0 || v.charCodeAt(i) > 0xff) throw fail(what, field, v);
  return v.length - 2;
}

/** A quantity that must be a safe integer (the production path's `smallQuantity`: at most 13 digits). */
function small(v: unknown, what: string, field: string): number {
  quantityDigits(v, 13, what, field);
  return Number.parseInt(v as string, 16);
}

/** A uint256 quantity stored as UInt64 after Number(): refused from 2^53 on, as the row encoder refuses it. */
function safe(v: unknown, what: string, field: string): number {
  quantityDigits(v, 64, what, field);
  const n = Number.parseInt(v as string, 16);
  if (!Number.isSafeInteger(n)) throw fail(what, field, v);
  return n;
}

/** UInt256 little-endian from a quantity's hex digits (two per byte from the end), no bigint. */
function uint256(w: BinaryWriter, v: unknown, what: string, field: string): void {
  quantityDigits(v, 64, what, field);
  const s = v as string;
  w.ensure(32);
  const b = w.buf;
  const p = w.pos;
  let k = 0;
  for (let i = s.length - 1; i >= 2; i -= 2, k += 1) {
    const lo = NIBBLE[s.charCodeAt(i)]! - 1;
    const hi = i - 1 >= 2 ? NIBBLE[s.charCodeAt(i - 1)]! - 1 : 0;
    b[p + k] = (hi << 4) | lo;
  }
  for (; k < 32; k += 1) b[p + k] = 0;
  w.pos = p + 32;
}

function nullableUInt256(w: BinaryWriter, v: unknown, what: string, field: string): void {
  if (v === undefined || v === null) return w.u8(1);
  w.u8(0);
  uint256(w, v, what, field);
}

function nullableSafeUInt64(w: BinaryWriter, v: unknown, what: string, field: string): void {
  if (v === undefined || v === null) return w.u8(1);
  w.u8(0);
  w.u64(safe(v, what, field));
}

const isAbsent = (v: unknown): boolean => v === undefined || v === null;

function asObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail(what, '(object)', v);
  return v as Record<string, unknown>;
}

function asArray(v: unknown, what: string, field: string): readonly unknown[] {
  if (!Array.isArray(v)) throw fail(what, field, v);
  return v;
}

/** The three tables' RowBinary, appended block after block, and their row counts. */
export interface FloorWriters {
  blocks: BinaryWriter;
  transactions: BinaryWriter;
  logs: BinaryWriter;
}

export function createFloorWriters(capacity = 1 << 20): FloorWriters {
  return { blocks: new BinaryWriter(capacity), transactions: new BinaryWriter(capacity), logs: new BinaryWriter(capacity) };
}

/** Per block: the envelope (chain, number, hash, timestamp) and versioning (version, 0, observed_at) columns, once. */
interface Envelope {
  head: Buffer;
  tail: Buffer;
  hash: string;
  number: number;
}

const scratch = new BinaryWriter(256);

function envelopeOf(b: Record<string, unknown>, chainId: number, version: number, observedAtMs: number): Envelope {
  const number = small(b.number, 'block', 'number');
  const what = `block ${number}`;
  scratch.reset();
  scratch.u64(chainId);
  scratch.u64(number);
  const hashAt = scratch.pos + 1;
  hex(scratch, b.hash, HASH32, what, 'hash');
  const hash = scratch.buf.toString('latin1', hashAt, hashAt + HASH32);
  scratch.u64(small(b.timestamp, what, 'timestamp') * 1000);
  const head = Buffer.from(scratch.slice());
  scratch.u64(version);
  scratch.u8(0);
  scratch.u64(observedAtMs);
  return { head, tail: Buffer.from(scratch.slice()), hash, number };
}

/** Hash equality as the production path checks it (its hashes are lowercased first). */
const sameHash = (v: unknown, lower: string): boolean =>
  v === lower || (typeof v === 'string' && v.length === lower.length && v.toLowerCase() === lower);

function writeBlockRow(w: BinaryWriter, b: Record<string, unknown>, env: Envelope, txCount: number, logCount: number): void {
  const what = `block ${env.number}`;
  w.raw(env.head);
  hex(w, b.parentHash, HASH32, what, 'parentHash');
  hex(w, b.miner, ADDRESS20, what, 'miner');
  w.u64(safe(b.gasLimit, what, 'gasLimit'));
  w.u64(safe(b.gasUsed, what, 'gasUsed'));
  nullableUInt256(w, b.baseFeePerGas, what, 'baseFeePerGas');
  // A few endpoints omit `size`: 0 means "not reported" (to-avro.ts).
  w.u64(isAbsent(b.size) ? 0 : small(b.size, what, 'size'));
  w.u32(txCount);
  w.u8(0);
  w.u32(logCount);
  nullableSafeUInt64(w, b.blobGasUsed, what, 'blobGasUsed');
  nullableSafeUInt64(w, b.excessBlobGas, what, 'excessBlobGas');
  w.raw(env.tail);
}

/** One transaction row with its receipt's fields; returns the transaction's hash (lowercase) for the log checks. */
function writeTransactionRow(
  w: BinaryWriter,
  t: Record<string, unknown>,
  r: Record<string, unknown>,
  env: Envelope,
  position: number,
): string {
  const what = `block ${env.number} transaction ${position}`;
  if (small(t.transactionIndex, what, 'transactionIndex') !== position) throw fail(what, 'transactionIndex', t.transactionIndex);
  if (!isAbsent(t.blockHash) && !sameHash(t.blockHash, env.hash)) throw fail(what, 'blockHash', t.blockHash);
  if (!sameHash(r.blockHash, env.hash)) throw fail(what, 'receipt blockHash', r.blockHash);
  w.raw(env.head);
  w.u32(position);
  const hashAt = w.pos + 1;
  hex(w, t.hash, HASH32, what, 'hash');
  const hash = w.buf.toString('latin1', hashAt, hashAt + HASH32);
  if (!sameHash(r.transactionHash, hash)) throw fail(what, 'receipt transactionHash', r.transactionHash);
  hex(w, t.from, ADDRESS20, what, 'from');
  nullableHex(w, t.to, ADDRESS20, what, 'to');
  uint256(w, t.value, what, 'value');
  w.u64(safe(t.nonce, what, 'nonce'));
  w.u64(safe(t.gas, what, 'gas'));
  nullableUInt256(w, t.gasPrice, what, 'gasPrice');
  nullableUInt256(w, t.maxFeePerGas, what, 'maxFeePerGas');
  nullableUInt256(w, t.maxPriorityFeePerGas, what, 'maxPriorityFeePerGas');
  const type = isAbsent(t.type) ? 0 : small(t.type, what, 'type');
  if (type > 0xff) throw fail(what, 'type', t.type);
  w.u8(type);
  hex(w, t.input, HEX_DATA, what, 'input');
  if (isAbsent(r.status)) w.u8(1);
  else {
    const status = small(r.status, what, 'status');
    if (status > 0xff) throw fail(what, 'status', r.status);
    w.u8(0);
    w.u8(status);
  }
  w.u8(0);
  w.u64(safe(r.gasUsed, what, 'receipt gasUsed'));
  nullableUInt256(w, r.effectiveGasPrice, what, 'effectiveGasPrice');
  nullableHex(w, r.contractAddress, ADDRESS20, what, 'contractAddress');
  w.raw(env.tail);
  return hash;
}

/** The logs of one receipt; `next` is the block's next logIndex, returned advanced. */
function writeLogRows(
  w: BinaryWriter,
  logs: readonly unknown[],
  env: Envelope,
  txIndex: number,
  txHash: string,
  next: number,
): number {
  for (const json of logs) {
    const what = `block ${env.number} log ${next}`;
    const l = asObject(json, what);
    if (l.removed === true) throw fail(what, 'removed', true);
    if (!sameHash(l.blockHash, env.hash)) throw fail(what, 'blockHash', l.blockHash);
    if (small(l.blockNumber, what, 'blockNumber') !== env.number) throw fail(what, 'blockNumber', l.blockNumber);
    if (small(l.logIndex, what, 'logIndex') !== next) throw fail(what, 'logIndex', l.logIndex);
    if (small(l.transactionIndex, what, 'transactionIndex') !== txIndex) throw fail(what, 'transactionIndex', l.transactionIndex);
    if (!sameHash(l.transactionHash, txHash)) throw fail(what, 'transactionHash', l.transactionHash);
    const topics = asArray(l.topics, what, 'topics');
    if (topics.length > 4) throw fail(what, 'topics', topics.length);
    w.raw(env.head);
    w.u32(txIndex);
    w.string(txHash);
    w.u32(next);
    hex(w, l.address, ADDRESS20, what, 'address');
    w.varUInt(topics.length);
    for (const topic of topics) hex(w, topic, HASH32, what, 'topics');
    hex(w, l.data, HEX_DATA, what, 'data');
    w.raw(env.tail);
    next += 1;
  }
  return next;
}

/**
 * Appends one block's rows (1 block row, one per transaction, one per log) to `out`, from the parsed
 * eth_getBlockByNumber(n, true) result and its eth_getBlockReceipts result. Returns the transaction and log counts.
 * @throws FloorDataError for data the production path would refuse too (see the module comment for which checks)
 */
export function writeBlockRows(
  out: FloorWriters,
  blockJson: unknown,
  receiptsJson: readonly unknown[],
  chainId: number,
  version: number,
  observedAtMs: number,
): { transactions: number; logs: number } {
  const b = asObject(blockJson, 'block');
  const env = envelopeOf(b, chainId, version, observedAtMs);
  const txs = asArray(b.transactions, `block ${env.number}`, 'transactions');
  if (receiptsJson.length !== txs.length) throw fail(`block ${env.number}`, 'receipts', receiptsJson.length);
  let logs = 0;
  for (let i = 0; i < txs.length; i += 1) {
    const what = `block ${env.number} transaction ${i}`;
    const r = asObject(receiptsJson[i], `${what} receipt`);
    const txHash = writeTransactionRow(out.transactions, asObject(txs[i], what), r, env, i);
    logs = writeLogRows(out.logs, asArray(r.logs, what, 'logs'), env, i, txHash, logs);
  }
  writeBlockRow(out.blocks, b, env, txs.length, logs);
  return { transactions: txs.length, logs };
}

/** INSERT … FORMAT RowBinary statements of the three raw tables (the columns of RAW_*_COLUMNS, in order). */
const FLOOR_TABLES = [
  { table: 'raw_blocks', columns: RAW_BLOCKS_COLUMNS, key: 'blocks' },
  { table: 'raw_transactions', columns: RAW_TRANSACTIONS_COLUMNS, key: 'transactions' },
  { table: 'raw_logs', columns: RAW_LOGS_COLUMNS, key: 'logs' },
] as const;

/**
 * The floor's inserts: each parsed block written into the three tables' RowBinary (writeBlockRows), a table's bytes
 * sent as one INSERT once it holds `maxRows` rows or more (as the sinks and the insert baseline batch), one INSERT
 * in flight per table; `end()` sends the remainders and waits for every insert. `version` counts up per block from
 * `firstVersion`, `observed_at` is the time the block is written (as the source stamps a batch).
 */
export function floorInserter(
  clickhouse: ClickHouseClient,
  maxRows: number,
  firstVersion = 1,
): { add(block: unknown, receipts: unknown[]): void; end(): Promise<void> } {
  const out = createFloorWriters();
  const tables = FLOOR_TABLES.map((t) => ({
    ...t,
    statement: `INSERT INTO ${t.table} (${t.columns.map((c) => c.name).join(', ')}) FORMAT RowBinary`,
    rows: 0,
    inflight: Promise.resolve(),
  }));
  let version = firstVersion;
  const flush = (t: (typeof tables)[number]) => {
    const bytes = out[t.key].take();
    t.rows = 0;
    t.inflight = t.inflight.then(async () => {
      const result = await clickhouse.exec({ query: t.statement, values: Readable.from([bytes]) });
      for await (const chunk of result.stream) void chunk;
    });
    // Seen by end(); a failure must not also surface as an unhandled rejection before that.
    t.inflight.catch(() => undefined);
  };
  return {
    add(block, receipts) {
      const n = writeBlockRows(out, block, receipts, 1, version, Date.now());
      version += 1;
      tables[0]!.rows += 1;
      tables[1]!.rows += n.transactions;
      tables[2]!.rows += n.logs;
      for (const t of tables) if (t.rows >= maxRows) flush(t);
    },
    async end() {
      for (const t of tables) if (t.rows > 0) flush(t);
      await Promise.all(tables.map((t) => t.inflight));
    },
  };
}
