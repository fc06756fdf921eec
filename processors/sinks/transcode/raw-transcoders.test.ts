import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { readAvroSchema, type BlockRecord, type LogBatch, type TransactionBatch } from '../../../schemas/index.ts';
import { schemaNameOf } from '../../../schemas/topics.ts';
import { blockBundleOfRpc, toBlockRecords } from '../../sources/index.ts';
import { createSyntheticChain } from '../../../scripts/test/synthetic-chain.ts';
import { RAW_BLOCKS_COLUMNS, RAW_LOGS_COLUMNS, RAW_TRANSACTIONS_COLUMNS } from '../raw-columns.ts';
import { blockRows, logRows, transactionRows } from '../raw-rows.ts';
import { BinaryWriter } from '../row-binary/binary-writer.ts';
import { createRowEncoder } from '../row-binary/row-encoder.ts';
import type { RecordTranscoder, SinkRow } from '../sink-types.ts';
import { createBlocksTranscoder, createLogsTranscoder, createTransactionsTranscoder } from './raw-transcoders.ts';

/**
 * The transcoders against the general path they replace: for every record they take, the same bytes as
 * raw-rows.ts's rows through row-encoder.ts; every record the general path refuses (or that is not a plain block) is
 * declined, with nothing left in the writer.
 */

const typeOf = (topic: 'eth.blocks.raw' | 'eth.transactions.raw' | 'eth.logs.raw'): avro.Type =>
  avro.Type.forSchema(readAvroSchema(schemaNameOf(topic)) as avro.Schema);

const TABLES = {
  blocks: { type: typeOf('eth.blocks.raw'), transcoder: createBlocksTranscoder(), rows: blockRows, columns: RAW_BLOCKS_COLUMNS },
  transactions: {
    type: typeOf('eth.transactions.raw'),
    transcoder: createTransactionsTranscoder(),
    rows: transactionRows,
    columns: RAW_TRANSACTIONS_COLUMNS,
  },
  logs: { type: typeOf('eth.logs.raw'), transcoder: createLogsTranscoder(), rows: logRows, columns: RAW_LOGS_COLUMNS },
} as const;
type Table = keyof typeof TABLES;

function generalPath(table: Table, rows: SinkRow[]): Buffer {
  const w = new BinaryWriter(1024);
  createRowEncoder(table, TABLES[table].columns).encode(w, rows, 0, rows.length);
  return w.take();
}

function transcode(transcoder: RecordTranscoder, body: Buffer): { rows: number | undefined; bytes: Buffer } {
  const w = new BinaryWriter(64);
  w.u8(0xee); // a slice already handed out: never moved or overwritten
  const before = w.slice();
  const rows = transcoder.transcode(body, w);
  expect(before[0]).toBe(0xee);
  return { rows, bytes: w.slice() };
}

/** The transcoder's bytes equal the general path's for `record`. */
function expectSame(table: Table, record: unknown, body?: Buffer): void {
  const { type, transcoder, rows } = TABLES[table];
  const expected = (rows as (r: unknown) => SinkRow[])(type.fromBuffer(body ?? type.toBuffer(record)));
  const out = transcode(transcoder, body ?? type.toBuffer(record));
  expect(out.rows).toBe(expected.length);
  expect(out.bytes.equals(generalPath(table, expected))).toBe(true);
}

function expectDeclined(table: Table, body: Buffer): void {
  const out = transcode(TABLES[table].transcoder, body);
  expect(out.rows).toBeUndefined();
  expect(out.bytes.length).toBe(0);
}

const envelope = {
  chain_id: 1,
  block_number: 19_000_000,
  block_hash: `0x${'ab'.repeat(32)}`,
  block_timestamp: 1_700_000_000_123,
  checkpoint: '0'.repeat(65),
  version: 7,
  observed_at: 1_700_000_100_000,
} as const;

/** A malformed hex value (the schemas' types only admit `0x…`). */
const bad = (text: string): `0x${string}` => text as `0x${string}`;

const tx = (overrides: Partial<TransactionBatch['transactions'][number]> = {}): TransactionBatch['transactions'][number] => ({
  tx_hash: `0x${'01'.repeat(32)}`,
  tx_index: 3,
  from_address: `0x${'11'.repeat(20)}`,
  to_address: `0x${'22'.repeat(20)}`,
  value: '1000000000000000000',
  nonce: 42,
  gas: 21_000,
  gas_price: '30000000000',
  max_fee_per_gas: null,
  max_priority_fee_per_gas: null,
  tx_type: 2,
  input: '0x',
  status: 1,
  gas_used: 21_000,
  effective_gas_price: '29000000000',
  contract_address: null,
  ...overrides,
});

const txBatch = (transactions: TransactionBatch['transactions'], kind: TransactionBatch['kind'] = 'block'): TransactionBatch => ({
  kind,
  ...envelope,
  part: 0,
  parts: 1,
  transactions,
});

const log = (overrides: Partial<LogBatch['logs'][number]> = {}): LogBatch['logs'][number] => ({
  tx_hash: `0x${'01'.repeat(32)}`,
  tx_index: 0,
  log_index: 5,
  address: `0x${'11'.repeat(20)}`,
  topics: [`0x${'22'.repeat(32)}`, `0x${'33'.repeat(32)}`],
  data: `0x${'00'.repeat(31)}ff`,
  ...overrides,
});

const logBatch = (logs: LogBatch['logs'], overrides: Partial<LogBatch> = {}): LogBatch => ({
  kind: 'block',
  ...envelope,
  part: 0,
  parts: 1,
  logs,
  ...overrides,
});

const header: NonNullable<BlockRecord['header']> = {
  parent_hash: `0x${'cd'.repeat(32)}`,
  miner: `0x${'ee'.repeat(20)}`,
  gas_limit: 30_000_000,
  gas_used: 12_345_678,
  base_fee_per_gas: '12345678901',
  size_bytes: 123_456,
  transaction_count: 150,
  log_count: 400,
  blob_gas_used: 131_072,
  excess_blob_gas: null,
};

describe('raw transcoders: Avro bytes → RowBinary, as the general path', () => {
  it('mainnet-shaped synthetic blocks', () => {
    const chain = createSyntheticChain({ firstBlock: 20_000_000, count: 3 });
    for (let n = 20_000_000; n < 20_000_003; n += 1) {
      const records = toBlockRecords(blockBundleOfRpc(chain.blockByNumber(n), chain.receiptsOf(n)!, 1), 1, 1_700_000_000_000);
      expectSame('blocks', records.block);
      for (const r of records.transactions) expectSame('transactions', r);
      for (const r of records.logs) expectSame('logs', r);
    }
  });

  it('amounts: every width up to 2^256 - 1 and leading zeros, exactly; nulls', () => {
    const values = ['0', '7', '000000000000000000000000123', '999999999999999', '1000000000000000', '9999999999999999999'];
    values.push('18446744073709551615', '18446744073709551616', (2n ** 255n + 1n).toString(), (2n ** 256n - 1n).toString());
    expectSame(
      'transactions',
      txBatch(values.map((value, i) => tx({ value, tx_index: i, gas_price: i % 2 ? null : value, max_fee_per_gas: value }))),
    );
    const nulls = { to_address: null, gas_price: null, status: null, gas_used: null, effective_gas_price: null };
    expectSame(
      'transactions',
      txBatch([tx({ ...nulls, contract_address: `0x${'44'.repeat(20)}`, input: `0x${'ab'.repeat(300)}` })]),
    );
    expectSame('transactions', txBatch([]));
    expectSame('blocks', { kind: 'block', ...envelope, header });
    expectSame('blocks', { kind: 'block', ...envelope, header: { ...header, base_fee_per_gas: null, log_count: null } });
  });

  it('large longs, timestamps at both ends, 0 to 4 topics, empty data', () => {
    const big = { chain_id: 2 ** 52 - 1, block_number: 2 ** 40, version: 2 ** 52 - 1, block_timestamp: 0 };
    expectSame('logs', logBatch([log({ topics: [] }), log({ topics: Array(4).fill(`0x${'55'.repeat(32)}`), data: '0x' })], big));
    expectSame('logs', logBatch([log()], { block_timestamp: 253_402_300_799_999, observed_at: 253_402_300_799_999 }));
  });

  it('arrays written in several blocks, with negative counts and sizes', () => {
    const { type } = TABLES.logs;
    const itemType = (type as avro.types.RecordType).field('logs')!.type as avro.types.ArrayType;
    const items = [log({ log_index: 0 }), log({ log_index: 1 }), log({ log_index: 2 })].map((l) =>
      itemType.itemsType.toBuffer(l),
    );
    const empty = type.toBuffer(logBatch([]));
    const zigzag = (n: number) => avro.Type.forSchema('long').toBuffer(n);
    const body = Buffer.concat([
      empty.subarray(0, empty.length - 1), // the array's closing 0
      zigzag(-2),
      zigzag(items[0]!.length + items[1]!.length),
      items[0]!,
      items[1]!,
      zigzag(1),
      items[2]!,
      zigzag(0),
    ]);
    expectSame('logs', undefined, body);
  });

  it('declines what the general path refuses or handles otherwise, leaving nothing behind', () => {
    const t = TABLES.transactions.type;
    const l = TABLES.logs.type;
    const b = TABLES.blocks.type;
    for (const malformed of [
      tx({ value: (2n ** 256n).toString() }),
      tx({ value: '' }),
      tx({ value: '+1' }),
      tx({ value: '1.5' }),
      tx({ gas_price: '12a' }),
      tx({ nonce: -1 }),
      tx({ tx_type: 256 }),
      tx({ tx_index: -1 }),
      tx({ from_address: `0x${'AA'.repeat(20)}` }),
      tx({ to_address: `0x${'aa'.repeat(19)}` }),
      tx({ input: '0xabc' }),
      tx({ input: bad('') }),
      tx({ contract_address: bad('aa'.repeat(21)) }),
      tx({ status: 300 }),
    ])
      expectDeclined('transactions', t.toBuffer(txBatch([tx(), malformed])));
    expectDeclined('transactions', t.toBuffer(txBatch([], 'reorg')));
    expectDeclined('transactions', t.toBuffer(txBatch([], 'finalize')));
    expectDeclined('transactions', t.toBuffer({ ...txBatch([tx()]), block_timestamp: -1 }));
    expectDeclined('logs', l.toBuffer(logBatch([log({ topics: Array(5).fill(`0x${'55'.repeat(32)}`) })])));
    expectDeclined('logs', l.toBuffer(logBatch([log({ tx_hash: `0x${'01'.repeat(31)}` })])));
    expectDeclined('logs', l.toBuffer(logBatch([log({ data: '0x0g' })])));
    expectDeclined('logs', l.toBuffer(logBatch([log({ data: '0xababababaG' }), log()]))); // in the bytes after the 4-byte steps
    expectDeclined('logs', l.toBuffer(logBatch([log(), log({ topics: [`0x${'ab'.repeat(20)}A${'b'.repeat(23)}`] })])));
    expectDeclined('logs', l.toBuffer(logBatch([log()], { block_hash: bad('not a hash') })));
    expectDeclined('logs', l.toBuffer(logBatch([log()], { observed_at: 253_402_300_800_000 })));
    const good = l.toBuffer(logBatch([log()]));
    expectDeclined('logs', good.subarray(0, good.length - 3)); // truncated
    expectDeclined('logs', Buffer.concat([good, Buffer.from([0])])); // trailing data
    expectDeclined('blocks', b.toBuffer({ kind: 'block', ...envelope, header: null }));
    expectDeclined('blocks', b.toBuffer({ kind: 'reorg', ...envelope, header: null }));
    expectDeclined('blocks', b.toBuffer({ kind: 'block', ...envelope, header: { ...header, gas_used: -5 } }));
    expectDeclined('blocks', b.toBuffer({ kind: 'block', ...envelope, header: { ...header, miner: `0x${'ee'.repeat(32)}` } }));
  });
});
