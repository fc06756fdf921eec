import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../scripts/test/test-config.ts';
import { readAvroSchema } from './avro-schema.ts';
import { encodeCheckpoint } from './checkpoint.ts';
import { createSchemaRegistrySerdes } from './create-schema-registry-serdes.ts';
import type { Transfer } from './generated/types.ts';
import { createConfluentSchemaStore } from './internals/confluent-schema-store.ts';
import { TOPICS } from './topics.ts';

// The schema registry of the integration stack started by scripts/test/global-setup.ts.
const config = testConfig();

const transfer: Transfer = {
  kind: 'transfer',
  chain_id: 1,
  block_number: 19_000_000,
  block_hash: `0x${'12'.repeat(32)}`,
  block_timestamp: 1_705_000_000_000,
  tx_hash: `0x${'34'.repeat(32)}`,
  tx_index: 0,
  log_index: 1,
  checkpoint: encodeCheckpoint({ timestampMs: 1_705_000_000_000, chainId: 1, blockNumber: 19_000_000, txIndex: 0, logIndex: 1 }),
  token_address: '0xdac17f958d2ee523a2206206994597c13d831ec7',
  from_address: '0x1111111111111111111111111111111111111111',
  to_address: '0x2222222222222222222222222222222222222222',
  amount_raw: (2n ** 200n + 7n).toString(),
  amount_decimal: null,
  decimals: 6,
  symbol: 'USDT',
  is_mint: false,
  is_burn: false,
  form: 'standard',
  version: 1,
};

describe('schema registry serdes against the real registry', () => {
  it('registers every topic schema and round-trips a value through a second client', async () => {
    const registered = await createSchemaRegistrySerdes({ config }).registerAll();
    expect(registered).toHaveLength(Object.keys(TOPICS).length);
    const bytes = await createSchemaRegistrySerdes({ config }).forTopic('erc20.transfers').serialize(transfer);
    expect(bytes.readInt32BE(1)).toBe(registered.find((r) => r.topic === 'erc20.transfers')!.id);
    expect(await createSchemaRegistrySerdes({ config }).forTopic('erc20.transfers').deserialize(bytes)).toEqual(transfer);
  });

  it('enforces BACKWARD: a new field without a default is refused, one with a default is accepted', async () => {
    const store = createConfluentSchemaStore({
      url: config.kafka.schemaRegistryUrl,
      username: config.kafka.schemaRegistryUsername,
      password: config.kafka.schemaRegistryPassword,
    });
    const subject = `oracul-it-${randomBytes(4).toString('hex')}-value`;
    const v1 = readAvroSchema('dq.checks');
    await store.register(subject, v1);
    await expect(
      store.register(subject, { ...v1, fields: [...v1.fields, { name: 'extra', type: 'string', doc: 'x' }] }),
    ).rejects.toMatchObject({
      code: 'ORACUL_SCHEMA_INCOMPATIBLE',
    });
    const v2 = { ...v1, fields: [...v1.fields, { name: 'extra', type: ['null', 'string'], default: null, doc: 'x' }] };
    expect(await store.register(subject, v2)).toBeGreaterThan(0);
  });
});
