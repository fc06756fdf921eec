import { describe, expect, it } from 'vitest';
import { readAvroSchema, type AvroRecordSchema } from '../avro-schema.ts';
import { DeserializeError, SchemaMismatchError } from '../errors.ts';
import type { Transfer } from '../generated/types.ts';
import { createAvroSerde } from './avro-serde.ts';
import { createMemorySchemaStore } from './memory-schema-store.ts';

const current = readAvroSchema('erc20.transfers');
const serdeFor = (schema: AvroRecordSchema, store = createMemorySchemaStore()) =>
  createAvroSerde<Transfer>({ topic: 'erc20.transfers', subject: 'erc20.transfers-value', schema, store });

const transfer: Transfer = {
  kind: 'transfer',
  chain_id: 1,
  block_number: 18_500_000,
  block_hash: `0x${'ab'.repeat(32)}`,
  block_timestamp: 1_700_000_000_000,
  tx_hash: `0x${'cd'.repeat(32)}`,
  tx_index: 3,
  log_index: 7,
  checkpoint: '0'.repeat(65),
  token_address: '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48',
  from_address: '0x0000000000000000000000000000000000000000',
  to_address: '0x1111111111111111111111111111111111111111',
  amount_raw: (2n ** 255n + 1n).toString(),
  amount_decimal: null,
  decimals: null,
  symbol: null,
  is_mint: true,
  is_burn: false,
  form: 'standard',
  version: 42,
};

describe('avro serde', () => {
  it('frames values in the Confluent wire format and reads them back exactly (uint256 above 2^255)', async () => {
    const serde = serdeFor(current);
    const bytes = await serde.serialize(transfer);
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(1);
    expect(await serde.deserialize(bytes)).toEqual(transfer);
  });

  it('reads records written with an older schema version (resolution fills defaults)', async () => {
    const store = createMemorySchemaStore();
    const older: AvroRecordSchema = { ...current, fields: current.fields.filter((f) => f.name !== 'symbol') };
    const { symbol: _symbol, ...olderValue } = transfer;
    const written = await createAvroSerde({ topic: 't', subject: 't-value', schema: older, store }).serialize(olderValue);
    const read = await serdeFor(current, store).deserialize(written);
    expect(read).toEqual({ ...transfer, symbol: null });
  });

  it('rejects a value that does not fit the schema with ORACUL_SCHEMA_MISMATCH and the invalid paths', async () => {
    const bad = { ...transfer, amount_raw: 5n, kind: 'mint' } as unknown as Transfer;
    const error = await serdeFor(current)
      .serialize(bad)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaMismatchError);
    expect(error).toMatchObject({
      code: 'ORACUL_SCHEMA_MISMATCH',
      retryable: false,
      details: { topic: 'erc20.transfers', invalid_paths: expect.arrayContaining(['kind', 'amount_raw']) },
    });
  });

  it('rejects a writer schema it cannot resolve with ORACUL_SCHEMA_MISMATCH', async () => {
    const store = createMemorySchemaStore();
    const renamed: AvroRecordSchema = { type: 'record', name: 'Other', namespace: 'io.oracul.test', doc: 'x', fields: [] };
    const written = await createAvroSerde({ topic: 't', subject: 't-value', schema: renamed, store }).serialize({});
    await expect(serdeFor(current, store).deserialize(written)).rejects.toMatchObject({
      code: 'ORACUL_SCHEMA_MISMATCH',
      details: { topic: 'erc20.transfers', schema_id: 1 },
    });
  });

  it.each([
    ['an empty buffer', Buffer.alloc(0), /shorter than the 5-byte schema header/],
    ['plain JSON', Buffer.from('{"kind":"transfer"}'), /magic byte 123/],
    ['an unknown schema id', Buffer.from([0, 0, 0, 0, 99, 1]), /unknown schema id 99/],
  ])('rejects %s with ORACUL_DESERIALIZE_FAILED', async (_label, bytes, message) => {
    const error = await serdeFor(current)
      .deserialize(bytes)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeserializeError);
    expect(error).toMatchObject({ code: 'ORACUL_DESERIALIZE_FAILED', retryable: false, message: expect.stringMatching(message) });
  });

  it('rejects a truncated body and trailing garbage with ORACUL_DESERIALIZE_FAILED', async () => {
    const serde = serdeFor(current);
    const bytes = await serde.serialize(transfer);
    await expect(serde.deserialize(bytes.subarray(0, bytes.length - 3))).rejects.toMatchObject({
      code: 'ORACUL_DESERIALIZE_FAILED',
    });
    await expect(serde.deserialize(Buffer.concat([bytes, Buffer.from([1, 2])]))).rejects.toMatchObject({
      code: 'ORACUL_DESERIALIZE_FAILED',
      details: { topic: 'erc20.transfers', schema_id: 1 },
    });
  });
});
